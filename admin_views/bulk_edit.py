"""Bulk edit for every grid (issue 10 item 2): one field set to one value on the selected rows,
or on every row matching the list's search and filters, within the person's row scope.

The value is typed in the grid's own edit-form field (choices by label, foreign keys by the
type-ahead picker); only fields that form offers and `rules.bulk_edit.offered` allows can be
set; the page says how many rows will change before the person confirms; every row goes
through the rules and each refusal is listed with its reason.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_views.bulk_runs import BulkRunMixin
from rules import RuleViolation
from rules.bulk_edit import edit_rows, offered
from tasks import bulk as bulk_jobs
from tasks.bulk import inline


class BulkEditMixin(BulkRunMixin):
    """Mix into GuardedModelView: the "Bulk edit…" action and its page."""

    def bulk_fields(self) -> list[tuple[str, str]]:
        """(name, label) of the fields the person may set in bulk on this grid."""
        if not self.can_edit:
            return []
        form = self.edit_form(obj=None)
        names = offered(self.model, [f.name for f in form])
        return [(n, str(self.get_column_name(n))) for n in names]

    @action("bulk_edit", _l("Bulk edit…"))
    def action_bulk_edit(self, ids: list[str]) -> Any:
        return redirect(self.get_url(".bulk_edit_view", ids=",".join(ids)))

    def is_action_allowed(self, name: str) -> bool:
        if name == "bulk_edit":
            return bool(self.bulk_fields())
        return super().is_action_allowed(name)

    def _bulk_where(self) -> Any:
        """The rows chosen: the selected ids, or every row matching the list's arguments."""
        if request.values.get("all") == "1":
            return self._matching()
        ids = [int(i) for i in request.values.get("ids", "").split(",") if i.isdigit()]
        return self.model.id.in_(ids)

    def _bulk_ids(self) -> list[int]:
        """The chosen rows the person can see, in id order (scope applied here)."""
        pk = self.model._meta.primary_key
        query = self._narrow(self.model.select(pk)).where(self._bulk_where()).order_by(pk)
        return [r for (r,) in query.tuples()]

    @expose("/bulk_edit/", methods=("GET", "POST"))
    def bulk_edit_view(self) -> Any:
        """Choose the field, then its value; the page counts the rows; POST applies."""
        fields = dict(self.bulk_fields())
        if not fields:
            abort(403)
        name = request.values.get("field", "")
        if name and name not in fields:
            abort(400)
        ids = self._bulk_ids()
        form = self.edit_form(obj=None) if name else None
        if request.method == "POST" and form is not None:
            target = form[name]
            if target.validate(form):
                return self._apply(ids, name, target.data)
            flash(f"{fields[name]}: {'; '.join(map(str, target.errors))}", "error")
        return self.render(
            "grid/bulk_edit.html", fields=fields, name=name, field=form[name] if form else None,
            count=len(ids), args=self._bulk_args(),
        )  # fmt: skip

    def _bulk_args(self) -> dict[str, str]:
        """The list's arguments (ids or all + search and filters) kept across the steps."""
        return {k: v for k, v in request.args.items() if k not in ("field", "csrf_token")}

    def _apply(self, ids: list[int], name: str, value: Any) -> Any:
        """Within one batch in the request; beyond it as a job with its progress page."""
        try:
            if not inline(len(ids)):
                run = bulk_jobs.start_edit(self.model, ids, name, value)
                return redirect(self.get_url(".bulk_run_view", id=run.id))
            out = edit_rows(self.model, ids, name, value)
        except RuleViolation as exc:
            flash(exc.message(self.get_column_name), "error")
            return redirect(self.get_url(".index_view"))
        flash(
            _("Bulk edit: %(ok)d of %(total)d records changed.", ok=out.changed, total=len(ids)),
            "success" if out.changed else "info",
        )
        shown = out.refused[:50]
        rows = {r.id: r for r in self.selected([str(rid) for rid, _t, _w in shown])}
        for rid, text, why in shown:
            named = self.row_label(rows[rid]) if rid in rows else text
            flash(f"{named}: {self._labelled(why)}", "error")
        return redirect(self.get_url(".index_view"))
