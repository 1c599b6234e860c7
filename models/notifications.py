"""The in-app inbox: one row per message to one person (reclaim warnings, tasks, approvals)."""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from models.base import BaseModel
from models.staff import Staff


class Notification(BaseModel):
    """A message for one person. `key` makes a job's message idempotent (one per key)."""

    recipient = ForeignKeyField(Staff, backref="notifications", on_delete="CASCADE")
    title = CharField(max_length=200)
    body = TextField(default="")
    link = CharField(max_length=300, default="")
    read_at = DateTimeField(null=True)
    key = CharField(max_length=120, null=True, unique=True)

    class Meta:
        indexes = (
            (("recipient", "read_at", "created_at"), False),
            (("recipient", "created_at"), False),  # the inbox grid, newest first
        )

    def __str__(self) -> str:
        return self.title
