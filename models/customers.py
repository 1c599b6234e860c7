"""Customers (A1, A2, A5): one record per normalised mobile number, company-wide."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateField, ForeignKeyField, IntegrityError

from models.base import BaseModel
from models.staff import Location, Staff

GENDERS = ("F", "M")
LEVELS = ("normal", "silver", "gold", "vip")


class Customer(BaseModel):
    """A customer. No owner = in the public pool (公海); a store = that store's customer."""

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

    class Meta:
        indexes = (
            (("owner", "created_at"), False),
            (("store", "created_at"), False),
            (("owner", "store"), False),  # covers the pool test (owner and store both empty)
            (("created_at",), False),  # the grid's default sort
            (("name",), False),  # sort and prefix search by name
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"

    def unique_message(self, error: IntegrityError) -> dict[str, list[str]]:
        """A duplicate phone names who has the customer (A1), even when a race lost."""
        from rules.customers import duplicate_message

        message = duplicate_message(self.phone, exclude_id=self.get_id())
        if message:
            return {"phone": [message]}
        return super().unique_message(error)
