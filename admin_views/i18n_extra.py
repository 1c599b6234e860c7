"""Msgids that code translates dynamically, so the extractor cannot see them at the call.

Only N_()-marked constants live here; `make messages` puts them in the catalog.
"""

from __future__ import annotations

from rules.i18n import N_

# AuditLog.action values: home.html and grid/details.html show `_(action)`,
# rules/permissions.py says "You may not %(action)s this record." with `_(action)`.
ACTIONS = (N_("create"), N_("update"), N_("delete"))

# AuditLog.model values (table keys), shown in the home page's recent changes as `_(model)`.
TABLES = (N_("customer"), N_("staff"), N_("product"), N_("location"), N_("audit_log"))
