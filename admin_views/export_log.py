"""The export log grid: who exported which grid, with which search and filters (read-only)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from admin_views.base import GuardedModelView


def grid_name(view: Any, context: Any, model: Any, name: str) -> str:
    """The grid as its menu names it (in the reader's language), not its endpoint."""
    for other in view.admin._views:
        if other.endpoint == model.grid:
            return str(other.name)
    return model.grid


class ExportLogView(GuardedModelView):
    column_list = ("at", "actor_name", "grid", "format", "search", "filters", "rows")
    column_searchable_list = ("actor_name", "grid")
    column_filters = ("grid", "format", "actor_name", "at")
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)
    column_formatters = {"grid": grid_name}
    column_labels = {
        "at": _l("When"),
        "actor_name": _l("Who"),
        "grid": _l("Grid"),
        "model": _l("Table"),
        "format": _l("Format"),
        "search": _l("Search"),
        "filters": _l("Filters"),
        "rows": _l("Rows"),
    }
    never = frozenset({"create", "edit", "delete"})

    def scaffold_form(self) -> Any:
        return super(GuardedModelView, self).scaffold_form()
