"""The export log: who exported which grid, with which search and filters, in which format,
and how many rows (issue 7 item 7). Append-only; the owner reads it as a read-only grid."""

from __future__ import annotations

from typing import Any

from peewee import CharField, DateTimeField, IntegerField, Model, TextField

from models.audit import utcnow
from models.db import db

EXPORT_FORMATS = ("csv", "xlsx")


class ExportLog(Model):
    """One export of one grid by one person."""

    at = DateTimeField(default=utcnow, index=True)
    actor_id = IntegerField(null=True)
    actor_name = CharField(max_length=80)
    grid = CharField(max_length=60)  # the grid's endpoint, e.g. "pool"
    model = CharField(max_length=40)  # the table, e.g. "customer"
    format = CharField(max_length=10)
    search = CharField(max_length=200, default="")
    filters = TextField(default="")
    rows = IntegerField(default=0)

    class Meta:
        database = db
        table_name = "export_log"
        indexes = ((("actor_id", "at"), False),)

    @classmethod
    def model_key(cls) -> str:
        return "export_log"

    def __str__(self) -> str:
        return f"{self.grid} {self.format} × {self.rows}"

    @classmethod
    def record(cls, actor: Any, **values: Any) -> None:
        """Write one export row for `actor` (grid, model, format, search, filters, rows)."""
        values["search"] = (values.get("search") or "")[:200]
        cls.insert(actor_id=actor.id, actor_name=actor.username, **values).execute()
