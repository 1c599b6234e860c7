"""The job log: one row per run of a periodic job, so the owner sees what ran and what did not."""

from __future__ import annotations

import json
from typing import Any

from peewee import AutoField, CharField, DateTimeField, Model, TextField

from models.audit import utcnow
from models.db import db

OUTCOMES = ("running", "ok", "failed", "skipped", "interrupted")
ERROR_CHARS = 2000


class JobRun(Model):
    """One run of one job: when it started and finished, how it ended, what it counted.

    Bookkeeping written by the job runner as SYSTEM, not a governed business record: each
    change commits at once, outside the job's own transactions, so a failed or killed run
    still leaves its row.
    """

    id = AutoField()
    job = CharField(max_length=40)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    outcome = CharField(max_length=12, default="running")
    counts = TextField(default="{}")
    error = TextField(default="")

    class Meta:
        database = db
        table_name = "job_run"
        indexes = ((("job", "started_at"), False), (("started_at",), False))

    @classmethod
    def model_key(cls) -> str:
        return "job_run"

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def count_dict(self) -> dict[str, Any]:
        return json.loads(self.counts or "{}")

    @classmethod
    def begin(cls, job: str) -> JobRun:
        """Record a run that holds the job's lock. An older run still marked running cannot
        hold it any more (its lock expired): it was killed, so mark it interrupted."""
        cls.update(outcome="interrupted").where(
            (cls.job == job) & (cls.outcome == "running")
        ).execute()
        return cls.create(job=job)

    @classmethod
    def skipped(cls, job: str) -> JobRun:
        """Record a run that found the job already running and did nothing."""
        now = utcnow()
        return cls.create(job=job, started_at=now, finished_at=now, outcome="skipped")

    def finish(self, counts: dict[str, Any]) -> None:
        """Record a run that ended normally, with what it counted."""
        self._end("ok", counts=json.dumps(counts, ensure_ascii=False, default=str))

    def fail(self, error: BaseException) -> None:
        """Record a run that raised, with the error text."""
        self._end("failed", error=f"{type(error).__name__}: {error}"[:ERROR_CHARS])

    def _end(self, outcome: str, **values: Any) -> None:
        self.outcome, self.finished_at = outcome, utcnow()
        type(self).update(outcome=outcome, finished_at=self.finished_at, **values).where(
            type(self).id == self.id
        ).execute()
