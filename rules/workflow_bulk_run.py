"""Bulk runs (issue 8 item 8): a step with effects on many records, in batches, as a job.

`open_run` checks the person's permission once and fixes the rows: those matching the
selection that the person can see (row scope), in id order. `run_batches` takes the step on
them one batch per transaction, as the person (the engine checks each row and says why it
refuses one; the effects write as SYSTEM on their behalf). Each batch commits with the run's
progress, so a run that fails midway keeps its finished batches and resumes after them.
Each batch also stamps the run's heartbeat (`beat_at`): a run still "running" with no beat for
`[tasks] bulk_stall_minutes` lost its worker (killed, machine restarted) and is `stalled`; its
page offers Resume, and `claim_resume` lets exactly one click queue it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from models.audit import utcnow
from models.bulk import BulkRun
from models.db import db
from rules import Actor, RuleViolation, acting_as, current_actor, settings
from rules.bulk_edit import EDIT, run_edit_batch
from rules.i18n import gettext as _
from rules.i18n import speaking
from rules.workflow import flow, take
from rules.workflow_batch import take_set_based
from rules.workflow_bulk import checked_step
from rules.workflow_notify import one_message_per_batch


def person_actor(staff: Any) -> Actor:
    """The person a run acts for, with their roles as they are now."""
    return Actor(
        id=staff.id, username=staff.username, roles=staff.role_set, store_id=staff.store_id
    )


def open_run(model: Any, where: Any, action: str, note: str = "", to: str | None = None) -> BulkRun:
    """Record a bulk run of `action` on the visible rows matching `where` (permission checked
    here, once). Raises RuleViolation when the person may not take the step at all."""
    from rules.scope import scope_expr

    actor = current_actor()
    t = checked_step(model, action, note, to, actor)
    visible = scope_expr(model, actor)
    chosen = where if visible is None else where & visible
    ids = [r for (r,) in model.select(model.id).where(chosen).order_by(model.id).tuples()]
    return BulkRun.create(
        person_id=actor.id, person_name=actor.username, model=model.model_key(),
        action=t.action, to_state=t.to, note=note or "", ids=json.dumps(ids), total=len(ids),
    )  # fmt: skip


@contextmanager
def _connected() -> Iterator[None]:
    """A connection for the job: its own in a worker, the caller's in immediate mode."""
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        yield
    finally:
        if opened:
            db.close()


def run_batches(run_id: int) -> BulkRun:
    """Take the run's step on its remaining rows, batch by batch; mark it done (or failed,
    re-raising) and tell the person in their inbox. Idempotent: a done run does nothing."""
    from models import MODELS
    from models.staff import Staff

    with _connected():
        run = BulkRun.get_by_id(run_id)
        if run.state == "done":
            return run
        _save(run, state="running", error="", beat_at=utcnow())
        staff = Staff.get_by_id(run.person_id)
        person = person_actor(staff)
        model, ids, size = MODELS[run.model], run.id_list, settings().tasks.bulk_batch
        language = staff.locale or settings().app.default_locale  # who reads the refusals
        batch = run_edit_batch if run.action == EDIT else _batch  # rules.bulk_edit: an edit
        try:
            with acting_as(person), speaking(language):
                while run.done < len(ids):
                    chunk = ids[run.done : run.done + size]
                    with db.atomic(), one_message_per_batch(person):
                        batch(model, run, chunk)
                        progress(run, chunk)
        except Exception as exc:
            _save(run, state="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            _tell(run)
            raise
        _save(run, state="done", finished_at=utcnow())
        _tell(run)
        return run


def _batch(model: Any, run: BulkRun, chunk: list[int]) -> None:
    """One batch, in the caller's transaction: each row through the engine's verb (a refusal
    rolls back only that row); the caller then commits the run's progress with it."""
    from models.workflow import Transition

    rows = {r.id: r for r in model.select().where(model.id.in_(chunk))}
    already = {
        r
        for (r,) in Transition.select(Transition.record_id)
        .where(
            (Transition.model == run.model)
            & Transition.record_id.in_(chunk)
            & (Transition.to_state == run.to_state)
            & (Transition.by_id == run.person_id)
            & (Transition.at >= run.started_at)
        )
        .tuples()
    }
    refused = run.refusals
    t = find_step(run)
    fast = take_set_based(model, [r for r in chunk if r in rows and r not in already], t,
                          current_actor(), run.note)  # fmt: skip
    run.moved += len(fast)
    for rid in chunk:
        row = rows.get(rid)
        if rid in fast:
            continue
        if row is None:
            refused.append([rid, f"#{rid}", _("It no longer exists.")])
        elif rid in already:
            run.moved += 1  # moved by an earlier attempt of this run: skipped
        else:
            try:
                with db.atomic():
                    take(row, run.action, run.note)
                run.moved += 1
            except RuleViolation as exc:
                refused.append([rid, str(row), exc.message()])
    run.refused = json.dumps(refused, ensure_ascii=False)


def progress(run: BulkRun, chunk: list[int]) -> None:
    """A batch is done: its progress commits with it (the resume cursor)."""
    run.done += len(chunk)
    _save(run, done=run.done, moved=run.moved, refused=run.refused, beat_at=utcnow())


def _stall_cutoff() -> Any:
    return utcnow() - timedelta(minutes=settings().tasks.bulk_stall_minutes)


def stalled(run: Any) -> bool:
    """A run (bulk or export) marked running whose worker gave no sign of life for the stall
    limit."""
    return run.state == "running" and run.last_beat() < _stall_cutoff()


def claim_resume(run: Any) -> bool:
    """Take over a failed or stalled run (a BulkRun, or any run with the same state and
    heartbeat columns: ExportRun) for a new attempt (its heartbeat restarts now); False when
    it is done, still alive, or another click claimed it first (one conditional UPDATE)."""
    Run, cutoff = type(run), _stall_cutoff()
    silent = (Run.beat_at < cutoff) | (Run.beat_at.is_null() & (Run.started_at < cutoff))
    resumable = (Run.state == "failed") | ((Run.state == "running") & silent)
    claimed = (
        Run.update(state="running", beat_at=utcnow())
        .where((Run.id == run.id) & resumable)
        .execute()
    )
    return claimed == 1


def find_step(run: BulkRun) -> Any:
    return next(
        t for t in flow(run.model).transitions if (t.action, t.to) == (run.action, run.to_state)
    )


def _save(run: BulkRun, **values: Any) -> None:
    for name, value in values.items():
        setattr(run, name, value)
    BulkRun.update(**values).where(BulkRun.id == run.id).execute()


def _tell(run: BulkRun) -> None:
    """One inbox message for the person, in their language, linking to the run's page."""
    from rules import SYSTEM
    from rules.notifications import compose, send

    def message(recipient: int) -> dict[str, Any]:
        if run.state == "failed":
            title = _("A bulk step stopped after %(done)d of %(total)d records.", done=run.done,
                      total=run.total)  # fmt: skip
        else:
            title = _(
                "A bulk step is finished: %(moved)d of %(total)d done, %(refused)d refused.",
                moved=run.moved, total=run.total, refused=len(run.refusals),
            )  # fmt: skip
        return {"recipient": recipient, "title": title, "link": bulk_link(run)}

    with acting_as(SYSTEM):
        send(compose([run.person_id], message))


def bulk_link(run: BulkRun) -> str:
    return f"/admin/{run.model}/bulk_run/?id={run.id}"
