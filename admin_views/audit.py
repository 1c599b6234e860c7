"""The audit trail grid: read-only, filterable, exportable."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin_views.base import GuardedModelView
from admin_views.history import HistoryMixin, actor_label, names_of, shown_changes, who
from admin_views.i18n_extra import key_text


class InlineLabels:
    """The labels of records edited inline in another grid (order lines in the order form)."""

    def __init__(self, parent: Any, form_args: dict) -> None:
        self.parent, self.form_args = parent, form_args

    def get_column_name(self, field: str) -> Any:
        label = self.form_args.get(field, {}).get("label")
        return self.parent.get_column_name(field) if label is None else label

    def _display(self, field: str, value: Any, names: dict) -> str:
        return self.parent._display(field, value, names)


def grid_of(view: Any, model_key: str) -> Any:
    """Who knows `model_key` records' labels and choices: the first grid that shows them, else
    the grid that edits them inline, else this one (yes/no, local times)."""
    for other in view.admin._views:
        if isinstance(other, HistoryMixin) and getattr(other, "model_key", None) == model_key:
            return other
    for other in view.admin._views:
        for inline in getattr(other, "inline_models", None) or ():
            model, options = inline if isinstance(inline, tuple) else (inline, {})
            if model.model_key() == model_key:
                return InlineLabels(other, options.get("form_args", {}))
    return view


def _changes(view: Any, model: Any) -> list[tuple[str, str, str]]:
    """(label, old, new) per shown field, with the record grid's labels and value names (a new
    record: its values; a deleted one: what it held)."""
    from models import MODELS

    grid = grid_of(view, model.model)
    names = g.get("audit_names", {}).get(model.model)
    if names is None:  # an export row: not prefetched per page
        names = names_of(MODELS[model.model], [model]) if model.model in MODELS else {}
    return [
        (
            str(grid.get_column_name(field)),
            grid._display(field, old, names),
            grid._display(field, new, names),
        )
        for field, old, new in shown_changes(model)
    ]


def changes_formatter(view: Any, context: Any, model: Any, name: str) -> Markup:
    """Render old -> new per field (create: the values given; delete: those held), escaped."""
    items = []
    for label, before, after in _changes(view, model):
        if model.action in ("create", "delete"):
            value = after if model.action == "create" else before
            items.append(Markup("<div><b>{}</b>: {}</div>").format(label, value))
        else:
            items.append(Markup("<div><b>{}</b>: {} &rarr; {}</div>").format(label, before, after))
    return Markup("").join(items)


def changes_text(view: Any, context: Any, model: Any, name: str) -> str:
    """The same changes as plain lines, for exports: "Status: Verified → Paid"."""
    lines = []
    for label, old, new in _changes(view, model):
        if model.action in ("create", "delete"):
            lines.append(f"{label}: {new if model.action == 'create' else old}")
        else:
            lines.append(f"{label}: {old} → {new}")
    return "\n".join(lines)


class AuditLogView(GuardedModelView):
    column_list = ("at", "actor_name", "on_behalf_of", "action", "model", "record_id", "changes")
    column_details_list = column_list  # the stored actor id and step key are the code's
    column_searchable_list = ("actor_name",)
    column_search_prefix = ("record_id",)
    column_filters = ("model", "action", "actor_name", "at")
    column_default_sort = ("at", True)
    column_formatters = {
        "changes": changes_formatter,
        "actor_name": lambda v, c, m, n: actor_label(m),
        "on_behalf_of": lambda v, c, m, n: who(m) if m.on_behalf_of else "",
        "action": lambda v, c, m, n: key_text(m.action),
        "model": lambda v, c, m, n: key_text(m.model),
    }
    column_formatters_export = {"changes": changes_text}
    column_labels = {
        "at": _l("When"),  # shown in the configured zone
        "actor_name": _l("Who"),
        "on_behalf_of": _l("On behalf of"),
        "action": _l("Action"),
        "model": _l("Table"),
        "record_id": _l("Record"),
        "changes": _l("Changes"),
    }

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        """The page's rows, and the names of the records they mention (one query per table
        and key, not one per row)."""
        from models import MODELS

        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            rows = list(rows)
            tables = {row.model for row in rows if row.model in MODELS}
            g.audit_names = {
                t: names_of(MODELS[t], [row for row in rows if row.model == t]) for t in tables
            }
        return count, rows

    def scaffold_form(self) -> Any:
        return super(GuardedModelView, self).scaffold_form()
