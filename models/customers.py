"""Customers (A1, A2, A4, A5): one record per normalised mobile number, company-wide, and the
history of who held each one."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegrityError,
    Model,
)

from models.audit import utcnow
from models.base import BaseModel
from models.db import db
from models.staff import Location, Staff

GENDERS = ("F", "M")
LEVELS = ("normal", "silver", "gold", "vip")


class Customer(BaseModel):
    """A customer. No owner = in a pool (公海): the company's, or its store's when it has one.

    The reclaim clock starts at `clock_start`: the later of taking the customer and the last
    follow-up (A4). Ownership changes only through the verbs in rules/ownership.py.
    """

    LEVELS = LEVELS

    name = CharField(max_length=60)
    phone = CharField(max_length=20, unique=True)
    gender = CharField(max_length=1, null=True)
    birthday = DateField(null=True)
    wechat = CharField(max_length=60, null=True)
    address = CharField(max_length=200, null=True)
    level = CharField(max_length=10, default="normal")
    owner = ForeignKeyField(Staff, null=True, backref="customers", on_delete="RESTRICT")
    salesperson = ForeignKeyField(
        Staff, null=True, backref="served_customers", on_delete="RESTRICT"
    )
    store = ForeignKeyField(Location, null=True, backref="customers", on_delete="RESTRICT")
    incomplete = BooleanField(default=False, index=True)
    notes = CharField(max_length=500, default="")
    owner_since = DateTimeField(null=True)
    last_followup_at = DateTimeField(null=True)
    clock_start = DateTimeField(null=True)
    last_deal_at = DateTimeField(null=True)
    next_followup_on = DateField(null=True)
    estimated_end_on = DateField(null=True)
    previous_owner = ForeignKeyField(
        Staff, null=True, backref="released_customers", on_delete="SET NULL"
    )
    released_at = DateTimeField(null=True)
    warned_clock = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("owner", "created_at"), False),
            (("store", "created_at"), False),
            (("owner", "store"), False),  # covers the pool test (owner and store both empty)
            (("created_at",), False),  # the grid's default sort
            (("name",), False),  # sort and prefix search by name
            (("owner", "clock_start"), False),  # the reclaim job and "days left" sort
            (("clock_start",), False),  # the home page: customers soon back in the pool
            (("owner", "store", "created_at"), False),  # the pool grids, newest first
            (("owner", "incomplete"), False),  # "to complete" filter for one owner
            (("store", "created_at", "owner"), False),  # a store's owned customers, newest first
            (("owner", "phone"), False),  # phone search within one salesperson's customers
            (("store", "phone"), False),  # phone search within one store's customers
            (("wechat",), False),  # search by WeChat ID (prefix)
            (("salesperson", "created_at"), False),  # the salesperson filter, newest first
        )

    label_fields = ("name", "phone")  # what __str__ shows: all a grid joins of a customer

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def after_write(self, action: str) -> None:
        """A new owned customer starts its ownership history."""
        if action == "create":
            from rules.ownership import record_creation

            record_creation(self)

    def unique_message(self, error: IntegrityError) -> dict[str, list[str]]:
        """A duplicate phone names who has the customer (A1), even when a race lost."""
        from rules.customers import duplicate_message

        message = duplicate_message(self.phone, exclude_id=self.get_id())
        if message:
            return {"phone": [message]}
        return super().unique_message(error)


OWNERSHIP_REASONS = ("created", "claim", "assign", "transfer", "reclaim", "release")


class OwnershipChange(Model):
    """One change of a customer's owner; append-only, written by rules/ownership.py (A4)."""

    customer = ForeignKeyField(Customer, backref="ownership_changes", on_delete="CASCADE")
    from_owner = ForeignKeyField(Staff, null=True, on_delete="SET NULL", backref="+")
    to_owner = ForeignKeyField(Staff, null=True, on_delete="SET NULL", backref="+")
    store = ForeignKeyField(Location, null=True, on_delete="SET NULL", backref="+")
    reason = CharField(max_length=10)
    by_name = CharField(max_length=80)
    at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        table_name = "ownership_change"
        indexes = ((("customer", "at"), False),)

    @classmethod
    def model_key(cls) -> str:
        return "ownership_change"

    def __str__(self) -> str:
        return f"{self.reason} #{self.customer_id}"
