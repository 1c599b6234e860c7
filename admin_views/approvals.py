"""Approval actions for any grid whose table has an approval chain in config (B2; D, E, F).

One bulk action per configured step, shown to the role that owns it; set-based for steps
without side effects, a verb per row for the others; approve everything matching the filter;
reject and cancel with a reason kept in the transition log.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_views import state_label
from rules import RuleViolation
from rules.approval import approve, bulk_approve, cancel, on_enter, reject, steps


class ApprovalMixin:
    """Mix into a GuardedModelView of a table with `[rules.<table>] approval`."""

    def is_action_allowed(self, name: str) -> bool:
        if name.startswith("to_"):
            step = next((s for s in steps(self.model.model_key()) if s.state == name[3:]), None)
            return step is not None and g.actor.has_any(set(step.by))
        if name in ("reject", "cancel"):
            return self.can_edit
        return super().is_action_allowed(name)

    def __init__(self, model: Any, *args: Any, **kwargs: Any):
        # Flask-Admin collects actions in __init__, so the per-step ones must exist first.
        for step in steps(model.model_key()):
            self._add_step_action(step.state)
        super().__init__(model, *args, **kwargs)

    def waiting(self) -> list[dict[str, Any]]:
        """For the home page: per step the person owns, how many visible records wait for it."""
        order = ["draft", *(s.state for s in steps(self.model.model_key()))]
        status_filter = next(
            (
                str(i)
                for i, f in enumerate(self._filters or [])
                if getattr(f, "column", None) is self.model.status
                and f.operation() == FilterEqual(self.model.status, "").operation()
            ),
            None,
        )
        rows = []
        for step in steps(self.model.model_key()):
            if not g.actor.has_any(set(step.by)):
                continue
            before = order[order.index(step.state) - 1]
            query = self.get_count_query().where(self.model.status == before)
            only = self.step_where(step.state)
            count = (query if only is None else query.where(only)).scalar()
            args = {f"flt1_{status_filter}": before} if status_filter else {}
            rows.append(
                {
                    "name": self.name,
                    "step": state_label(step.state),
                    "before": state_label(before),
                    "count": count,
                    "url": url_for(f"{self.endpoint}.index_view", **args),
                }
            )
        return rows

    def step_where(self, state: str) -> Any:
        """Which visible records the person may move to `state` (None: all); grids override."""
        return None

    def _add_step_action(self, state: str) -> None:
        label = LazyString(lambda: _("Approve: %(step)s", step=state_label(state)))
        self.add_action(f"to_{state}", label, lambda ids: self.approve_selected(ids, state))

    def approve_selected(self, ids: list[str], state: str) -> None:
        """Set-based for steps without side effects; one verb per row for the others."""
        if on_enter.get(self.model.model_key(), {}).get(state):
            self.run_per_row(ids, lambda row: self._approve_to(row, state), state_label(state))
            return
        try:
            moved = bulk_approve(
                self.model, self.model.id.in_(ids), state, request.form.get("note", "")
            )
        except RuleViolation as exc:
            flash(exc.message(), "error")
            return
        flash(
            _(
                "%(action)s: %(ok)d of %(total)d selected records done.",
                action=state_label(state),
                ok=moved,
                total=len(set(ids)),
            ),
            "success" if moved else "info",
        )
        self._explain_leftovers(ids, state)

    def _approve_to(self, row: Any, state: str) -> None:
        prev = [s.state for s in steps(self.model.model_key())]
        before = "draft" if prev.index(state) == 0 else prev[prev.index(state) - 1]
        if row.status != before:
            raise RuleViolation(
                _(
                    "%(record)s is %(state)s, not %(before)s.",
                    record=str(row),
                    state=_(row.status),
                    before=_(before),
                )
            )
        approve(row, request.form.get("note", ""))

    def _explain_leftovers(self, ids: list[str], state: str) -> None:
        """One line per selected order that did not move, saying why (first 50)."""
        order = ["draft", *(s.state for s in steps(self.model.model_key()))]
        before = order[order.index(state) - 1]
        left = self.selected(ids)
        for row in [r for r in left if r.status != state][:50]:
            if row.status != before:
                why = _("it is %(state)s", state=_(row.status))
            elif row.created_by_id == g.actor.id:
                why = _("you submitted it, so someone else must approve it")
            else:
                why = _("refused")
            flash(f"{row}: {why}", "error")

    def my_steps(self) -> list[str]:
        """The approval steps the current person may take (for the list page's buttons)."""
        return [s.state for s in steps(self.model.model_key())[1:] if g.actor.has_any(set(s.by))]

    @expose("/approve_matching/", methods=("POST",))
    def approve_matching_view(self) -> Any:
        """Approve every order that matches the list's current search and filters."""
        state = request.form.get("step", "")
        if state not in self.my_steps():
            return self.inaccessible_callback("approve_matching")
        args = self._get_list_extra_args()
        _count, query = self.get_list(
            0, None, False, args.search, args.filters, execute=False, page_size=0
        )
        matching = self.model.id.in_(query.select(self.model.id).order_by())
        if on_enter.get(self.model.model_key(), {}).get(state):
            ids = [str(r.id) for r in self.model.select(self.model.id).where(matching).limit(500)]
            self.approve_selected(ids, state)
        else:
            try:
                moved = bulk_approve(self.model, matching, state, request.form.get("note", ""))
                flash(
                    _(
                        "%(action)s: %(ok)d matching orders done.",
                        action=state_label(state),
                        ok=moved,
                    ),
                    "success" if moved else "info",
                )
            except RuleViolation as exc:
                flash(exc.message(), "error")
        return redirect(self.get_url(".index_view", **request.args))

    @action("submit", _l("Submit"))
    def action_submit(self, ids: list[str]) -> None:
        self.run_per_row(ids, lambda row: self._approve_to(row, "submitted"), _("Submitted"))

    @action("reject", _l("Reject to draft…"))
    def action_reject(self, ids: list[str]) -> Any:
        return redirect(url_for(".reason_view", verb="reject", ids=",".join(ids)))

    @action("cancel", _l("Cancel…"))
    def action_cancel(self, ids: list[str]) -> Any:
        return redirect(url_for(".reason_view", verb="cancel", ids=",".join(ids)))

    @expose("/reason/", methods=("GET", "POST"))
    def reason_view(self) -> Any:
        """Reject or cancel the selected orders with a reason that is kept in their history."""
        verb = request.values.get("verb")
        if verb not in ("reject", "cancel") or not self.can_edit:
            return self.inaccessible_callback("reason")
        ids = [i for i in request.values.get("ids", "").split(",") if i.isdigit()]
        if request.method == "POST":
            reason = request.form.get("reason", "").strip()
            if not reason:
                flash(_("Give a reason."), "error")
            else:
                fn = reject if verb == "reject" else cancel
                done = _("Rejected") if verb == "reject" else _("Cancelled")
                self.run_per_row(ids, lambda row: fn(row, reason), done)
                return redirect(self.get_url(".index_view"))
        return self.render(
            "sales/reason.html", rows=self.selected(ids), verb=verb, ids=",".join(ids)
        )

    # -- vouchers ---------------------------------------------------------------------------
