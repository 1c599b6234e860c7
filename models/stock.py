"""The stock ledger (D1, B4): every movement is a posted line that never changes.

On-hand stock at a location is the sum of its lines; a correction is a reversing line. Beside
the ledger, one balance row per (product, location) is moved in the same transaction as each
line (rules.stock.move_balance): the database refuses a negative one, and its row lock makes
two shipments of the last unit take turns. The ledger stays the truth.
"""

from __future__ import annotations

from peewee import CharField, Check, DateTimeField, ForeignKeyField, IntegerField, Model, fn

from models.audit import utcnow
from models.base import BaseModel
from models.catalog import Product
from models.db import db
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

    def after_write(self, action: str) -> None:
        """Every posted line moves its balance row, in the same transaction."""
        from rules.stock import move_balance

        if action == "create":
            move_balance(self)


class StockBalance(Model):
    """On-hand stock of one product at one location; the database refuses a negative one."""

    product = ForeignKeyField(Product, backref="+", on_delete="RESTRICT")
    location = ForeignKeyField(Location, backref="+", on_delete="RESTRICT")
    on_hand = IntegerField(default=0, constraints=[Check("on_hand >= 0")])

    class Meta:
        database = db
        table_name = "stock_balance"
        indexes = ((("location", "product"), True),)

    @classmethod
    def model_key(cls) -> str:
        return "stock_balance"

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.location_id}: {self.on_hand}"

    @classmethod
    def of(cls, product_id: int, location_id: int) -> int:
        """The balance of one product at one location (0 when nothing was ever posted)."""
        value = (
            cls.select(cls.on_hand)
            .where((cls.product == product_id) & (cls.location == location_id))
            .scalar()
        )
        return value or 0
