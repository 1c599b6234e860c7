"""Member points (B5): a ledger per customer; the balance is kept beside it and never negative."""

from __future__ import annotations

from peewee import CharField, Check, DateTimeField, ForeignKeyField, IntegerField, Model

from models.audit import utcnow
from models.customers import Customer
from models.db import db


class PointsAccount(Model):
    """A customer's points balance; the database refuses a negative one."""

    customer = ForeignKeyField(Customer, unique=True, on_delete="CASCADE", backref="+")
    balance = IntegerField(default=0, constraints=[Check("balance >= 0")])

    class Meta:
        database = db
        table_name = "points_account"

    @classmethod
    def model_key(cls) -> str:
        return "points_account"


class PointsEntry(Model):
    """One earning or redemption; entries are never changed (a reversal is a new entry)."""

    customer = ForeignKeyField(Customer, backref="points", on_delete="CASCADE")
    delta = IntegerField()
    reason = CharField(max_length=10)  # earn / redeem / reverse
    source = CharField(max_length=40, default="")
    balance_after = IntegerField()
    by_name = CharField(max_length=80)
    at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        table_name = "points_entry"
        indexes = ((("customer", "at"), False),)

    @classmethod
    def model_key(cls) -> str:
        return "points_entry"
