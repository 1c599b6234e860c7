"""Sales (B1-B6, A3): the sales intent with its lines, moving through the approval chain.

State changes go through the workflow engine (rules/workflow.py); the rules refuse a skipped step, a
wrong role or self-approval on every write path.
"""

from __future__ import annotations

from decimal import Decimal

from peewee import (
    SQL,
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    fn,
)

from models.base import BaseModel
from models.catalog import Product
from models.customers import Customer
from models.staff import Location, Staff

ZERO = Decimal("0.00")
DELIVERY = ("pickup", "express")
PAYMENT_METHODS = ("cash", "card", "wechat", "alipay", "transfer")


class SalesOrder(BaseModel):
    """A sales intent (销售意向) and, once approved, the sale."""

    has_workflow = True  # its states and steps: [workflows.sales_order] in config.toml

    number = CharField(max_length=20, unique=True)
    customer = ForeignKeyField(Customer, backref="orders", on_delete="RESTRICT")
    status = CharField(max_length=12, default="draft", index=True)
    created_by = ForeignKeyField(Staff, backref="+", on_delete="RESTRICT")
    # A3: who gets the credit, frozen when the order is submitted
    credit_owner = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    credit_salesperson = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    store = ForeignKeyField(Location, null=True, backref="+", on_delete="RESTRICT")
    ship_from = ForeignKeyField(Location, null=True, backref="+", on_delete="RESTRICT")
    # B4, A5: where a pickup is handed over, and so where its stock leaves (changeable in draft)
    pickup_location = ForeignKeyField(Location, null=True, backref="+", on_delete="RESTRICT")
    discount = DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    # B3: everything below list price: the header discount, lines priced under list, gifts
    effective_discount = DecimalField(
        max_digits=12, decimal_places=2, default=ZERO, constraints=[SQL("DEFAULT 0")]
    )
    discount_flagged = BooleanField(default=False)
    discount_approved_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    points_redeemed = IntegerField(default=0)
    gifts = CharField(max_length=200, default="")
    delivery = CharField(max_length=8, default="pickup")
    recipient = CharField(max_length=60, default="")
    recipient_phone = CharField(max_length=20, default="")
    address = CharField(max_length=200, default="")
    payment_method = CharField(max_length=10, default="wechat")
    paid_amount = DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    # step forms of confirm_payment and ship (express); a database default as migration 13
    # gives them, so raw inserts (bench seeding) work on a new database too
    payment_ref = CharField(max_length=60, default="", constraints=[SQL("DEFAULT ''")])
    courier = CharField(max_length=40, default="", constraints=[SQL("DEFAULT ''")])
    tracking_no = CharField(max_length=40, default="", constraints=[SQL("DEFAULT ''")])
    subtotal = DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    total = DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    points_earned = IntegerField(default=0)
    note = CharField(max_length=500, default="")
    submitted_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)
    shipped_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("status", "created_at"), False),
            (("credit_owner", "paid_at"), False),
            (("customer", "created_at"), False),
            (("created_by", "status"), False),
            (("created_at",), False),  # the grid's default sort (see-all roles)
            (("store", "created_at"), False),  # a store's orders, newest first
            (("credit_salesperson", "created_at"), False),  # the salesperson filter
            (("paid_at", "status", "total"), False),  # the home page's sales (see-all roles)
        )

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(BaseModel):
    """One product on an order: quantity × unit price (a gift line has price 0).

    `list_price` is the product's price when the line was last written (lines are fixed once
    the order is submitted); what is charged below it counts as discount (B3).
    """

    order = ForeignKeyField(SalesOrder, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="+", on_delete="RESTRICT")
    quantity = IntegerField(default=1)
    unit_price = DecimalField(max_digits=12, decimal_places=2, null=True)  # empty: list price
    is_gift = BooleanField(default=False)
    list_price = DecimalField(max_digits=12, decimal_places=2, null=True)

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"

    def after_write(self, action: str) -> None:
        """The draft order's totals follow its lines."""
        from rules.sales import refresh_totals

        refresh_totals(self.order_id)

    @property
    def amount(self) -> Decimal:
        return (self.unit_price or ZERO) * (self.quantity or 0)

    @classmethod
    def subtotal_of(cls, order_id: int) -> Decimal:
        """Sum of quantity × price over an order's lines, in SQL."""
        total = (
            cls.select(fn.COALESCE(fn.SUM(cls.quantity * cls.unit_price), 0))
            .where(cls.order == order_id)
            .scalar()
        )
        return Decimal(str(total)).quantize(Decimal("0.01"))

    @classmethod
    def below_list_of(cls, order_id: int) -> tuple[Decimal, Decimal]:
        """(value at list price, amount charged below list price) of an order's lines, in SQL.

        A line priced above list does not offset another line's discount.
        """
        listed_price = fn.COALESCE(cls.list_price, cls.unit_price)  # unknown: as charged
        under = Case(None, [(listed_price > cls.unit_price, listed_price - cls.unit_price)], 0)
        listed, below = (
            cls.select(
                fn.COALESCE(fn.SUM(cls.quantity * listed_price), 0),
                fn.COALESCE(fn.SUM(cls.quantity * under), 0),
            )
            .where(cls.order == order_id)
            .tuples()
            .first()
        )
        cent = Decimal("0.01")
        return Decimal(str(listed)).quantize(cent), Decimal(str(below)).quantize(cent)
