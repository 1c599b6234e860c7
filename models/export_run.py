"""Export runs (issue 10 item 5): an export too large for a request, written to a file by a job;
the person follows its progress and downloads the file from their inbox."""

from __future__ import annotations

from typing import Any

from peewee import AutoField, CharField, DateTimeField, IntegerField, Model, TextField

from models.audit import utcnow
from models.db import db

STATES = ("running", "done", "failed", "expired")


class ExportRun(Model):
    """Who asked for which grid's export, with which grid arguments and language; how far the
    job got. Bookkeeping written by the job (like BulkRun), not a governed business record."""

    id = AutoField()
    person_id = IntegerField()
    person_name = CharField(max_length=80)
    grid = CharField(max_length=60)  # the grid's endpoint, e.g. "customer"
    model = CharField(max_length=40)
    format = CharField(max_length=10)
    args = TextField(default="")  # the grid's query string: search, filters, sort
    locale = CharField(max_length=10)  # the language of the headers and labels
    search = CharField(max_length=200, default="")  # for the export log, as a person reads it
    filters = TextField(default="")
    total = IntegerField(default=0)  # rows counted at the start
    done = IntegerField(default=0)  # rows written so far
    state = CharField(max_length=12, default="running")
    error = TextField(default="")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    beat_at = DateTimeField(null=True)  # each written batch (a silent run lost its worker)

    class Meta:
        database = db
        table_name = "export_run"
        indexes = ((("person_id", "started_at"), False), (("state", "finished_at"), False))

    @classmethod
    def model_key(cls) -> str:
        return "export_run"

    def __str__(self) -> str:
        return f"{self.grid}.{self.format} #{self.id}"

    @property
    def file_name(self) -> str:
        return f"{self.id}.{self.format}"

    def last_beat(self) -> Any:
        return self.beat_at or self.started_at

    @property
    def percent(self) -> int:
        if self.state == "done" or not self.total:
            return 100 if self.state == "done" else 0
        return min(100, int(100 * self.done / self.total))
