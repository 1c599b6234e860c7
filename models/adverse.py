"""Adverse-reaction cases (C1): a follow-up that records 不良反应 = yes opens a case for the
sales supervisor; someone closes it with a note of what was done."""

from __future__ import annotations

from peewee import DateTimeField, ForeignKeyField, TextField

from models.audit import utcnow
from models.base import BaseModel
from models.customers import Customer
from models.followups import FollowUp
from models.staff import Staff


class AdverseCase(BaseModel):
    """One reported adverse reaction, open until closed with a note (rules/adverse.py)."""

    customer = ForeignKeyField(Customer, backref="adverse_cases", on_delete="RESTRICT")
    follow_up = ForeignKeyField(FollowUp, unique=True, backref="+", on_delete="RESTRICT")
    details = TextField(default="")
    opened_at = DateTimeField(default=utcnow)
    closed_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    closed_at = DateTimeField(null=True)
    closing_note = TextField(default="")

    class Meta:
        indexes = (
            (("closed_at", "opened_at"), False),  # open cases, oldest first
            (("customer", "opened_at"), False),
            (("opened_at",), False),  # the grid's sort, walked under a LIMIT (see-all roles)
        )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __str__(self) -> str:
        return f"#{self.id} {self.opened_at:%Y-%m-%d}"
