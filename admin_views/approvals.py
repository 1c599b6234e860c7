"""Workflow actions for any grid whose table has a `[workflows.<table>]` (B2; D, E, F).

One bulk action per step of the main path, shown to the role that owns it; set-based for
steps without effects, the engine's verb per row for the others (refusals are the engine's);
approve everything matching the filter; reject and cancel with a reason kept in the log.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_views import state_label
from admin_views.bulk_runs import BulkRunMixin
from admin_views.record_page import RecordPageMixin
from rules import RuleViolation
from rules.approval import steps
from rules.workflow import find, flow, refusal, take
from rules.workflow_bulk import bulk_take, eligible_count
from rules.workflow_config import CREATOR
from rules.workflow_next import step_label
from tasks.bulk import inline


class ApprovalMixin(BulkRunMixin, RecordPageMixin):
    """Mix into a GuardedModelView of a table with a `[workflows.<table>]` section."""

    def _step(self, state: str) -> Any:
        """The main-path transition that ends at `state` (None if there is none)."""
        return next((t for t in steps(self.model.model_key()) if t.to == state), None)

    def _may(self, t: Any) -> bool:
        """Could the person take `t` on some record: a role of it, or as the creator of
        records they may enter (the engine decides per record)."""
        if t is None:
            return False
        return g.actor.has_any(set(t.roles) - {CREATOR}) or (CREATOR in t.roles and self.can_create)

    def is_action_allowed(self, name: str) -> bool:
        """The bulk menu lists only the transitions this person could take."""
        if name.startswith("to_"):
            return self._may(self._step(name[3:]))
        if name in ("submit", "reject", "cancel"):
            wf = flow(self.model.model_key())
            return any(self._may(t) for t in wf.transitions if t.action == name)
        return super().is_action_allowed(name)

    def __init__(self, model: Any, *args: Any, **kwargs: Any):
        # Flask-Admin collects actions in __init__, so the per-step ones must exist first.
        for step in steps(model.model_key()):
            self._add_step_action(step.to)
        super().__init__(model, *args, **kwargs)

    def waiting(self) -> list[dict[str, Any]]:
        """For the home page: per step the person owns, how many visible records wait for it."""
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
            if not g.actor.has_any(set(step.roles)):
                continue
            before = step.from_[0]
            query = self.get_count_query().where(self.model.status.in_(step.from_))
            only = self.step_where(step.to)
            count = (query if only is None else query.where(only)).scalar()
            args = {f"flt1_{status_filter}": before} if status_filter else {}
            rows.append(
                {
                    "name": self.name,
                    "step": state_label(step.to),
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

    def approve_selected(self, ids: list[str], state: str) -> Any:
        """Set-based for steps without effects; one engine verb per row for the others, as a
        job with a progress page beyond one batch."""
        t = self._step(state)
        if t is not None and t.effects and not inline(len(set(ids))):
            return self.run_as_job(self.model.id.in_(ids), t, request.form.get("note", ""))
        if t is None or t.effects:
            self.run_per_row(ids, lambda row: self._approve_to(row, state), state_label(state))
            return
        try:
            moved = bulk_take(
                self.model, self.model.id.in_(ids), t.action, request.form.get("note", ""), t.to
            )
        except RuleViolation as exc:
            flash(exc.message(self.get_column_name), "error")
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
        self._explain_leftovers(ids, t)

    def _approve_to(self, row: Any, state: str) -> None:
        """The engine's verb; a row at another state is refused with the engine's reason."""
        t = self._step(state)
        if t is None:
            raise RuleViolation(_('No step "%(step)s".', step=state_label(state)))
        take(row, t.action, request.form.get("note", ""))

    def _explain_leftovers(self, ids: list[str], t: Any) -> None:
        """One line per selected record that did not move, with the engine's reason (first 50)."""
        for row in [r for r in self.selected(ids) if r.status != t.to][:50]:
            why = refusal(row, find(row.model_key(), row.status, t.action), t.action, g.actor)
            flash(why or f"{row}: {_('refused')}", "error")

    def my_steps(self) -> list[str]:
        """The approval steps the current person may take (for the list page's buttons)."""
        return [t.to for t in steps(self.model.model_key())[1:] if g.actor.has_any(set(t.roles))]

    @expose("/approve_matching/count/")
    def approve_matching_count(self) -> Any:
        """How many records "All matching" would move, asked before the person confirms."""
        state = request.args.get("step", "")
        if state not in self.my_steps():
            return self.inaccessible_callback("approve_matching")
        t, matching = self._step(state), self._matching()
        total = self.model.select().where(matching).count()
        ready = eligible_count(self.model, matching, t, g.actor)
        text = _(
            "%(step)s: %(ready)d of the %(total)d matching records can take this step now. Go on?",
            step=state_label(state, self.model.model_key()),
            ready=ready,
            total=total,
        )
        return jsonify(ready=ready, matching=total, message=text)

    @expose("/approve_matching/", methods=("POST",))
    def approve_matching_view(self) -> Any:
        """Take a step on every record that matches the list's current search and filters."""
        state = request.form.get("step", "")
        if state not in self.my_steps():
            return self.inaccessible_callback("approve_matching")
        matching = self._matching()
        t = self._step(state)
        if t.effects:
            if not inline(self.model.select().where(matching).count()):
                return self.run_as_job(matching, t, request.form.get("note", ""))
            ids = [str(r.id) for r in self.model.select(self.model.id).where(matching)]
            self.approve_selected(ids, state)
        else:
            try:
                note = request.form.get("note", "")
                moved = bulk_take(self.model, matching, t.action, note, t.to)
                flash(
                    _(
                        "%(action)s: %(ok)d matching records done.",
                        action=state_label(state),
                        ok=moved,
                    ),
                    "success" if moved else "info",
                )
            except RuleViolation as exc:
                flash(exc.message(self.get_column_name), "error")
        return redirect(self.get_url(".index_view", **request.args))

    @action("submit", _l("Submit"))
    def action_submit(self, ids: list[str]) -> None:
        first = steps(self.model.model_key())[0]
        self.run_per_row(ids, lambda row: self._approve_to(row, first.to), state_label(first.to))

    @action("reject", _l("Reject to draft…"))
    def action_reject(self, ids: list[str]) -> Any:
        return redirect(url_for(".reason_view", verb="reject", ids=",".join(ids)))

    @action("cancel", _l("Cancel…"))
    def action_cancel(self, ids: list[str]) -> Any:
        return redirect(url_for(".reason_view", verb="cancel", ids=",".join(ids)))

    @expose("/reason/", methods=("GET", "POST"))
    def reason_view(self) -> Any:
        """Reject or cancel the selected records with a reason that is kept in their history."""
        verb = request.values.get("verb")
        if verb not in ("reject", "cancel") or not self.can_edit:
            return self.inaccessible_callback("reason")
        ids = [i for i in request.values.get("ids", "").split(",") if i.isdigit()]
        if request.method == "POST":
            reason = request.form.get("reason", "").strip()
            if not reason:
                flash(_("Give a reason."), "error")
            else:
                done = _("Rejected") if verb == "reject" else _("Cancelled")
                self.run_per_row(ids, lambda row: take(row, verb, reason), done)
                return redirect(self.get_url(".index_view"))
        key = self.model.model_key()
        title = next(step_label(key, t) for t in flow(key).transitions if t.action == verb)
        return self.render(
            "grid/reason.html", rows=self.selected(ids), verb=verb, ids=",".join(ids), title=title
        )

    # -- vouchers ---------------------------------------------------------------------------
