"""Bulk runs (issue 8 item 8): a transition with effects taken on many records as a job, in
batches, with its progress kept so the person can leave and come back to the result."""

from __future__ import annotations

import json
from typing import Any

from peewee import AutoField, CharField, DateTimeField, IntegerField, Model, TextField

from models.audit import utcnow
from models.db import db

STATES = ("running", "done", "failed")


class BulkRun(Model):
    """Who took which step on which records; how far it got and which rows were refused, why.

    Bookkeeping written by the job as SYSTEM (like JobRun): the progress of a batch commits
    with the batch, so a run that fails midway resumes after its last finished batch.
    """

    id = AutoField()
    person_id = IntegerField()
    person_name = CharField(max_length=80)
    model = CharField(max_length=40)
    action = CharField(max_length=40)
    to_state = CharField(max_length=20)
    note = CharField(max_length=500, default="")
    ids = TextField(default="[]")  # the visible rows chosen at the start, in order
    total = IntegerField(default=0)
    done = IntegerField(default=0)  # rows handled (moved or refused): the resume cursor
    moved = IntegerField(default=0)
    refused = TextField(default="[]")  # [[record id, text, reason], ...]
    state = CharField(max_length=12, default="running")
    error = TextField(default="")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    # The worker's last sign of life (its start, then each finished batch): a run "running"
    # with no beat for `[tasks] bulk_stall_minutes` lost its worker (rules.workflow_bulk_run).
    beat_at = DateTimeField(null=True)

    class Meta:
        database = db
        table_name = "bulk_run"
        indexes = ((("person_id", "started_at"), False),)

    @classmethod
    def model_key(cls) -> str:
        return "bulk_run"

    def __str__(self) -> str:
        return f"{self.model}/{self.action} #{self.id}"

    @property
    def id_list(self) -> list[int]:
        return json.loads(self.ids or "[]")

    @property
    def refusals(self) -> list[list[Any]]:
        return json.loads(self.refused or "[]")

    @property
    def edit_field(self) -> str:
        """The field a bulk edit run sets (its note holds {"field", "value"})."""
        return str(json.loads(self.note or "{}").get("field", ""))

    def last_beat(self) -> Any:
        return self.beat_at or self.started_at

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)
