"""State transitions of every workflow (sales B, stocktake D, replenishment E, campaigns F):
who moved which record from which step to which, when, with a note. The process board (H)
reads its times from here."""

from __future__ import annotations

from peewee import CharField, DateTimeField, IntegerField, Model

from models.audit import utcnow
from models.db import db


class Transition(Model):
    """One step of one record; append-only, written with the state change in one transaction."""

    model = CharField(max_length=40)
    record_id = IntegerField()
    from_state = CharField(max_length=20)
    to_state = CharField(max_length=20)
    by_id = IntegerField(null=True)
    by_name = CharField(max_length=80)
    at = DateTimeField(default=utcnow)
    note = CharField(max_length=500, default="")

    class Meta:
        database = db
        table_name = "transition"
        indexes = (
            (("model", "record_id", "at"), False),
            (("model", "to_state", "at"), False),
            (("at",), False),  # the home page: recent steps
            (("by_id", "at"), False),  # the home page: a person's own recent steps
        )

    @classmethod
    def model_key(cls) -> str:
        return "transition"

    @classmethod
    def history(cls, model: str, record_id: int) -> list[Transition]:
        """The steps of one record, oldest first."""
        return list(
            cls.select()
            .where((cls.model == model) & (cls.record_id == record_id))
            .order_by(cls.at, cls.id)
        )
