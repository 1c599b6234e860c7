"""Products that are sold, given as gifts and counted in stock."""

from __future__ import annotations

from decimal import Decimal

from peewee import BooleanField, CharField, DecimalField

from models.base import BaseModel


class Product(BaseModel):
    """One sellable item (SKU)."""

    sku = CharField(max_length=40, unique=True)
    name = CharField(max_length=120)
    spec = CharField(max_length=80, default="")
    unit = CharField(max_length=10, default="件")
    price = DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    active = BooleanField(default=True)

    label_fields = ("sku", "name")  # what __str__ shows: all a grid joins of a product

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
