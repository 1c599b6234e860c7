"""Bulk runs as jobs (issue 8 item 8): a step with effects on more than one batch of records
runs on the queue; the person follows its progress page, or leaves and comes back to it."""

from __future__ import annotations

from typing import Any

from models.bulk import BulkRun
from rules import settings
from rules.bulk_edit import open_edit_run
from rules.workflow_bulk_run import open_run, run_batches
from tasks import huey


@huey.task(name="bulk_run")
def run_bulk_later(run_id: int) -> int:
    """The job: take the run's step on its remaining rows (a failed run resumes)."""
    return run_batches(run_id).moved


def start(model: Any, where: Any, action: str, note: str = "", to: str | None = None) -> BulkRun:
    """Open a bulk run (permission checked once, visible rows fixed) and queue it."""
    run = open_run(model, where, action, note, to)
    run_bulk_later(run.id)
    return BulkRun.get_by_id(run.id)


def start_edit(model: Any, ids: list[int], name: str, value: Any) -> BulkRun:
    """Open a bulk edit run on the (scoped) rows `ids` and queue it (the same job)."""
    run = open_edit_run(model, ids, name, value)
    run_bulk_later(run.id)
    return BulkRun.get_by_id(run.id)


def inline(count: int) -> bool:
    """A selection of at most one batch runs in the request, as before."""
    return count <= settings().tasks.bulk_batch
