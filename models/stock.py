"""The stock ledger (D1, B4): every movement is a posted line that never changes.

On-hand stock at a location is the sum of its lines; a correction is a reversing line.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, fn

from models.audit import utcnow
from models.base import BaseModel
from models.catalog import Product
from models.staff import Location

MOVE_KINDS = (
    "inbound",
    "outbound",
    "transfer_out",
    "transfer_in",
    "sale_outbound",
    "gift",
    "redemption",
    "adjustment",
)


class StockMove(BaseModel):
    """One posted movement: +quantity in, -quantity out, at one location."""

    product = ForeignKeyField(Product, backref="moves", on_delete="RESTRICT")
    location = ForeignKeyField(Location, backref="moves", on_delete="RESTRICT")
    quantity = IntegerField()
    kind = CharField(max_length=14)
    source = CharField(max_length=40, default="")  # e.g. "sales_order:12"
    source_line = IntegerField(null=True)
    at = DateTimeField(default=utcnow)
    note = CharField(max_length=200, default="")

    class Meta:
        indexes = (
            (("product", "location"), False),
            (("source", "source_line"), False),
            (("location", "at"), False),
            (("at",), False),  # the ledger grid's default sort
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} × {self.product_id} @ {self.location_id}"

    @classmethod
    def on_hand(cls, product_id: int, location_id: int) -> int:
        """Stock of one product at one location: the sum of its ledger lines."""
        return (
            cls.select(fn.COALESCE(fn.SUM(cls.quantity), 0))
            .where((cls.product == product_id) & (cls.location == location_id))
            .scalar()
        )
