"""Msgids that code translates dynamically, so the extractor cannot see them at the call.

Only N_()-marked constants live here; `make messages` puts them in the catalog.
"""

from __future__ import annotations

import re

from flask_babel import get_locale, gettext, ngettext
from markupsafe import Markup, escape

from rules.i18n import N_

# AuditLog.action values: home.html and grid/details.html show `_(action)`,
# rules/permissions.py says "You may not %(action)s this record." with `_(action)`.
ACTIONS = (N_("create"), N_("update"), N_("delete"))

# AuditLog.model values (table keys), shown in the home page's recent changes as `_(model)`.
TABLES = (N_("customer"), N_("staff"), N_("product"), N_("location"), N_("audit_log"))

# More tables shown in the audit trail.
MORE_TABLES = (N_("follow_up"), N_("follow_up_task"), N_("notification"), N_("ownership_change"))

# OwnershipChange.reason values, shown in a customer's ownership history as `_(reason)`.
OWNERSHIP_REASONS = (
    N_("created"),
    N_("claim"),
    N_("assign"),
    N_("transfer"),
    N_("reclaim"),
    N_("release"),
)

# FollowUpTask.reason values, shown in "my tasks" as `_(reason)`.
TASK_REASONS = (N_("next_date"), N_("ending_soon"), N_("interval"), N_("incomplete"))

# Approval states (SalesOrder.status and later workflows), shown as `_(status)`.
STATES = (N_("draft"), N_("submitted"), N_("verified"), N_("paid"), N_("shipped"), N_("cancelled"))

# Steps named in the audit trail ("system, for X via follow_up/log/...").
STEPS = (N_("log"),)

# Report periods, shown as `_(grain)`.
GRAINS = (N_("day"), N_("month"), N_("year"))

# Tables of the sales process in the audit trail.
SALES_TABLES = (N_("sales_order"), N_("sales_order_line"), N_("stock_move"))

# Adverse-reaction cases (C1), named in the audit trail as `_(model)`.
CASE_TABLES = (N_("adverse_case"),)

# PointsEntry.reason values, shown in the customer page's points ledger.
POINTS_REASONS = (N_("earn"), N_("redeem"), N_("reverse"))

# The same keys in English: the English UI has no catalog, so gettext() hands back the bare key
# ("next_date", "sales_order"). Add a key here when you add one above.
ENGLISH = {
    "create": "Created",
    "update": "Changed",
    "delete": "Deleted",
    "customer": "Customer",
    "staff": "Staff",
    "product": "Product",
    "location": "Location",
    "audit_log": "Audit trail",
    "follow_up": "Follow-up",
    "follow_up_task": "Follow-up task",
    "notification": "Message",
    "ownership_change": "Change of owner",
    "created": "Entered",
    "claim": "Claimed",
    "assign": "Assigned",
    "transfer": "Transferred",
    "reclaim": "Returned to the pool",
    "release": "Released",
    "next_date": "Next follow-up date reached",
    "ending_soon": "Product running out",
    "interval": "Not followed up for long",
    "incomplete": "Details incomplete",
    "sales_order": "Sales order",
    "sales_order_line": "Order line",
    "stock_move": "Stock movement",
    "adverse_case": "Adverse-reaction case",
    "earn": "Earned",
    "redeem": "Redeemed",
    "reverse": "Given back",
}


def key_text(key: str) -> str:
    """A stored key (action, table, reason) as the person reads it, in either language."""
    text = gettext(key)
    return ENGLISH.get(key, key) if text == key else text


# Flask-Admin's templates write a few texts no catalog can reach: an untranslated aria-label,
# and the page-size menu's msgids built at run time ("20 items").
FLASK_ADMIN_TEXTS = re.compile(r'aria-label="Toggle navigation"|>(\d+) items?<')


def flask_admin_texts(page: str) -> Markup:
    """The page (layout.html's body) with those texts in the person's language."""

    def speak(found: re.Match) -> str:
        if found.group(1) is None:
            text = gettext("Toggle navigation")
            return f'aria-label="{escape(text)}"'
        text = ngettext("%(num)d row", "%(num)d rows", int(found.group(1)))
        return f">{escape(text)}<"

    return Markup(FLASK_ADMIN_TEXTS.sub(speak, str(page)))


def datepicker_locale() -> dict:
    """Flask-Admin's date pickers (bootstrap-daterangepicker) in the person's language."""
    return {
        "applyLabel": gettext("Apply"),
        "cancelLabel": gettext("Cancel"),
        "fromLabel": gettext("From"),
        "toLabel": gettext("To"),
        "weekLabel": gettext("Wk"),
        "customRangeLabel": gettext("Custom range"),
        "daysOfWeek": gettext("Su Mo Tu We Th Fr Sa").split(),
        "monthNames": gettext("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split(),
        "firstDay": (get_locale().first_week_day + 1) % 7,  # Babel: 0 is Monday; moment: Sunday
        "separator": gettext(" to "),
    }
