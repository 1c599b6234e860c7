"""Bulk runs in the grid (issue 8 item 8): a step with effects on more than one batch of
records starts a job and opens its progress page, which the person may leave and come back to
(the inbox message sent when it ends links to it). Only the person who started a run sees it."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_babel import gettext as _

from admin_views import state_label
from models.bulk import BulkRun
from rules import RuleViolation
from rules.bulk_edit import EDIT
from rules.workflow_bulk_run import claim_resume, stalled
from tasks import bulk as bulk_jobs

FIELD_PREFIX = re.compile(r"(?:^|(?<=; ))([a-z][a-z0-9_]*): ")  # RuleViolation.message()


class BulkRunMixin:
    """Mix into a grid with workflow actions (ApprovalMixin)."""

    def run_as_job(self, where: Any, t: Any, note: str) -> Any:
        """Start the step on the visible rows matching `where` as a job; show its progress."""
        try:
            run = bulk_jobs.start(self.model, where, t.action, note, t.to)
        except RuleViolation as exc:
            flash(exc.message(self.get_column_name), "error")
            return redirect(self.get_url(".index_view"))
        return redirect(self.get_url(".bulk_run_view", id=run.id))

    def _own_run(self) -> BulkRun:
        run = BulkRun.get_or_none(BulkRun.id == request.values.get("id", type=int))
        if run is None or run.person_id != g.actor.id or run.model != self.model.model_key():
            abort(404)
        return run

    @expose("/bulk_run/")
    def bulk_run_view(self) -> Any:
        """The run's progress (the page reloads itself while it runs) and its refusals."""
        run = self._own_run()
        refusals = [(rid, text, self._labelled(why)) for rid, text, why in run.refusals[:500]]
        return self.render(
            "grid/bulk_run.html",
            run=run,
            refusals=refusals,
            title=self.run_title(run),
            shown=("stalled" if stalled(run) else run.state),
        )

    def run_title(self, run: BulkRun) -> str:
        """What the run does, for its page: the step (a bulk edit names its field)."""
        if run.action == EDIT:
            return _("Bulk edit: %(field)s", field=self.get_column_name(run.edit_field))
        return _("Bulk step: %(step)s", step=state_label(run.to_state, run.model))

    def _labelled(self, reason: str) -> str:
        """A stored refusal ("points_redeemed: …", written by the job as a CLI would) with
        each field named by this grid's label ("抵扣积分: …")."""
        fields = self.model._meta.fields
        return FIELD_PREFIX.sub(
            lambda m: f"{self.get_column_name(m[1])}: " if m[1] in fields else m[0], reason
        )

    @expose("/bulk_run/resume/", methods=("POST",))
    def bulk_run_resume_view(self) -> Any:
        """Queue a failed or stalled run again: it resumes after its last finished batch."""
        run = self._own_run()
        if claim_resume(run):
            try:
                bulk_jobs.run_bulk_later(run.id)
            except Exception:  # noqa: BLE001  (the run records its own failure)
                pass
        return redirect(self.get_url(".bulk_run_view", id=run.id))
