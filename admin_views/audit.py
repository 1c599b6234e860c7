"""The audit trail grid: read-only, filterable, exportable."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from admin_views.base import GuardedModelView
from admin_views.history import who


def changes_formatter(view: Any, context: Any, model: Any, name: str) -> Markup:
    """Render old -> new per field, escaped."""
    items = [
        Markup("<div><b>{}</b>: {} &rarr; {}</div>").format(
            escape(field), escape("" if old is None else old), escape("" if new is None else new)
        )
        for field, (old, new) in model.change_dict.items()
    ]
    return Markup("").join(items)


class AuditLogView(GuardedModelView):
    column_list = ("at", "actor_name", "on_behalf_of", "action", "model", "record_id", "changes")
    column_searchable_list = ("actor_name",)
    column_search_prefix = ("record_id",)
    column_filters = ("model", "action", "actor_name", "at")
    column_default_sort = ("at", True)
    column_formatters = {
        "changes": changes_formatter,
        "on_behalf_of": lambda v, c, m, n: who(m) if m.on_behalf_of else "",
        "action": lambda v, c, m, n: gettext(m.action),
        "model": lambda v, c, m, n: gettext(m.model),
    }
    column_labels = {
        "at": _l("When (UTC)"),
        "actor_name": _l("Who"),
        "on_behalf_of": _l("On behalf of"),
        "action": _l("Action"),
        "model": _l("Table"),
        "record_id": _l("Record"),
        "changes": _l("Changes"),
    }

    def scaffold_form(self) -> Any:
        return super(GuardedModelView, self).scaffold_form()
