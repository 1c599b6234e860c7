"""Bulk actions shared by every grid: scoped selection, one result per row, printing, delete."""

from __future__ import annotations

from typing import Any

from flask import abort, flash
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_babel import gettext as _

from rules import RuleViolation


def printable(kind: str, record: Any) -> None:
    """Raise RuleViolation when `record` may not be printed as `kind` (rules/printing.py)."""
    from rules.printing import PRINTABLE, check_printable

    if kind in PRINTABLE:
        check_printable(kind, record)


class ActionsMixin:
    """Actions only ever touch the selected rows the actor can see, through model verbs."""

    # -- actions ------------------------------------------------------------------------------
    def add_action(self, name: str, label: Any, handler: Any) -> None:
        """Register an action built at start-up (call before Flask-Admin's __init__)."""
        handler._action = (name, label, None)
        setattr(self, f"action_{name}", handler)

    def selected(self, ids: list[str]) -> list[Any]:
        """The selected rows that the actor may see (others are silently not there)."""
        pk = self.model._meta.primary_key
        return list(self._narrow(self.model.select()).where(pk.in_(ids)))

    def _matching(self) -> Any:
        """The records matching the list's current search and filters (an id subquery)."""
        args = self._get_list_extra_args()
        _count, query = self.get_list(
            0, None, False, args.search, args.filters, execute=False, page_size=0
        )
        return self.model.id.in_(query.select(self.model.id).order_by())

    def row_label(self, row: Any) -> str:
        """How a row is named in a refusal message (grids that mask a value override it)."""
        return str(row)

    def run_per_row(self, ids: list[str], verb: Any, done_message: str) -> None:
        """Apply `verb(row)` to each selected row; flash one result line per refusal."""
        ok, refused = 0, []
        for row in self.selected(ids):
            try:
                verb(row)
                ok += 1
            except RuleViolation as exc:
                refused.append(f"{self.row_label(row)}: {exc.message(self.get_column_name)}")
        missing = len(set(ids)) - ok - len(refused)
        flash(
            _(
                "%(action)s: %(ok)d of %(total)d selected records done.",
                action=done_message,
                ok=ok,
                total=len(set(ids)),
            ),
            "success" if ok else "info",
        )
        for line in refused[:50]:
            flash(line, "error")
        if missing > 0:
            flash(_("%(num)d selected records are not visible to you.", num=missing), "error")

    def print_selected(self, kind: str, ids: list[str]) -> Any:
        """Render the selected visible rows as one PDF; refusals are flashed, not printed."""
        from admin_views.printing import pdf_response
        from printouts import PrintError, file_name, render_pdf

        rows, refused = [], []
        for row in self.selected(ids):
            try:
                printable(kind, row)
                rows.append(row)
            except RuleViolation as exc:
                refused.append(exc.message(self.get_column_name))
        for message in refused[:50]:
            flash(message, "error")
        if not rows:
            flash(_("None of the selected records can be printed."), "error")
            return None
        try:
            data = render_pdf(kind, rows)
        except (PrintError, RuleViolation) as exc:
            flash(_("Printing failed: %(error)s", error=str(exc)), "error")
            return None
        return pdf_response(data, file_name(kind, rows))

    @action(
        "delete",
        lazy_gettext("Delete"),
        lazy_gettext("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids: list[str]) -> None:
        if not self.can_delete:
            abort(403)
        self.run_per_row(ids, lambda row: row.delete_instance(), _("Deleted"))

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete":
            return self.can_delete
        return super().is_action_allowed(name)
