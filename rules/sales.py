"""Sales rules (B1-B5, A3): who may register a sale, totals and discounts, and what each
approval step does (credit, points, stock-out)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from peewee import fn

from rules import Actor, RuleViolation, discounts, register, settings
from rules.i18n import gettext as _
from rules.pickup import check_pickup_location
from rules.scope import any_of, scope

CENT = Decimal("0.01")


@scope("sales_order", "salesperson")
def own_orders(model: type, actor: Actor) -> Any:
    """A salesperson sees the orders they entered or are credited with."""
    return any_of(model, model.created_by == actor.id, model.credit_owner == actor.id)


@scope("sales_order", "store_staff")
def store_orders(model: type, actor: Actor) -> Any:
    return model.store == actor.store_id


@scope("sales_order_line", "salesperson")
@scope("sales_order_line", "store_staff")
def lines_of_visible_orders(model: type, actor: Actor) -> Any:
    from models.sales import SalesOrder
    from rules.scope import scope_expr

    return model.order.in_(SalesOrder.select(SalesOrder.id).where(scope_expr(SalesOrder, actor)))


def editable(order: Any) -> bool:
    """True while the order's state is marked editable (a draft): lines and prices move."""
    from rules.workflow import has_mark

    return has_mark("sales_order", order.status, "editable")


def local_now() -> datetime:
    """The shop's wall clock (order numbers carry the local date)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(settings().app.timezone)).replace(tzinfo=None)


def next_number(now: datetime) -> str:
    """SO-YYYYMMDD-NNNN, numbered per day. Called inside the saving transaction: SQLite
    serialises writers; on PostgreSQL a transaction lock on the day's stem makes a second
    web worker wait for the first one's commit, so no two orders are given one number."""
    from models.db import db, is_postgres
    from models.sales import SalesOrder

    stem = f"{settings().sales.number_prefix}-{now:%Y%m%d}-"
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"order-number:{stem}",))
    last = (
        SalesOrder.select(fn.MAX(SalesOrder.number))
        .where(SalesOrder.number.startswith(stem))
        .scalar()
    )
    return f"{stem}{int(last[-4:]) + 1 if last else 1:04d}"


def compute_totals(order: Any) -> None:
    """Subtotal from the lines, less discount and redeemed points; flag a large discount (B3)."""
    from models.sales import SalesOrderLine

    cfg = settings().sales
    order.subtotal = SalesOrderLine.subtotal_of(order.id) if order.id else Decimal("0.00")
    points_value = (Decimal(order.points_redeemed or 0) * cfg.yuan_per_point).quantize(CENT)
    order.total = max(Decimal("0.00"), order.subtotal - (order.discount or 0) - points_value)
    discounts.assess(order)


@register("sales_order")
def check_order(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """B1: own customers only; sane money; express needs an address."""
    if action == "delete":
        return None
    from models.customers import Customer

    errors: dict[str, list[str]] = {}
    if action == "create":
        record.created_by = record.created_by_id or actor.id
        record.number = record.number or next_number(local_now())
        customer = Customer.get_or_none(Customer.id == record.customer_id)
        if customer is not None:
            record.store = customer.store_id
        if customer is not None and not actor.is_system and "owner" not in actor.roles:
            theirs = customer.owner_id == actor.id or (
                customer.store_id is not None and customer.store_id == actor.store_id
            )
            if not theirs:
                errors["customer"] = [_("Register sales for your own customers only.")]
    if editable(record):
        errors.update(check_pickup_location(record))
    if (record.discount or 0) < 0:
        errors["discount"] = [_("The discount cannot be negative.")]
    if (record.points_redeemed or 0) < 0:
        errors["points_redeemed"] = [_("Points to redeem cannot be negative.")]
    elif editable(record) and redeeming_changed(record, old):
        errors.update(check_redeemable(record))
    if record.delivery not in ("pickup", "express"):
        errors["delivery"] = [_("Choose pickup or express.")]
    elif record.delivery == "express" and not (record.address or "").strip():
        errors["address"] = [_("Express delivery needs an address.")]
    if editable(record) and record.id:
        compute_totals(record)
    if discounts.approval_lapses(old, record):
        record.discount_approved_by = None  # an approval covers the discount it saw, no other
    return errors or None


def redeeming_changed(record: Any, old: dict | None) -> bool:
    """A new draft, or one whose customer or points to redeem change (B5)."""
    if old is None:
        return bool(record.points_redeemed)
    return (old.get("points_redeemed"), old.get("customer")) != (
        record.points_redeemed,
        record.customer_id,
    )


def check_redeemable(record: Any) -> dict[str, list[str]]:
    """B5: a draft may not redeem more points than the customer has now (checked again when
    the payment is approved, since the balance may move in between)."""
    from rules.points import balance

    if not record.points_redeemed or record.customer_id is None:
        return {}
    have = balance(record.customer_id)
    if record.points_redeemed <= have:
        return {}
    return {
        "points_redeemed": [
            _(
                "Not enough points: the customer has %(have)d, %(asked)d asked.",
                have=have,
                asked=record.points_redeemed,
            )
        ]
    }


@register("sales_order_line")
def check_line(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Lines change only while the order is a draft; quantities and prices are positive."""
    from models.sales import SalesOrder

    order = SalesOrder.get_or_none(SalesOrder.id == record.order_id)
    if order is not None and not editable(order) and not actor.is_system:
        return {
            "__all__": [
                _("The lines of %(order)s are fixed once it is submitted.", order=str(order))
            ]
        }
    if action == "delete":
        return None
    _price_line(record, order)
    errors = {}
    if record.quantity is not None and record.quantity < 1:
        errors["quantity"] = [_("The quantity must be at least 1.")]
    if record.unit_price is not None and record.unit_price < 0:
        errors["unit_price"] = [_("The price cannot be negative.")]
    return errors or None


def _price_line(line: Any, order: Any) -> None:
    """A draft line keeps the product's list price (B3); a gift is free; no price: list price."""
    from models.catalog import Product

    product = Product.get_or_none(Product.id == line.product_id) if line.product_id else None
    if product is not None and (line.list_price is None or order is None or editable(order)):
        line.list_price = product.price
    if line.is_gift:
        line.unit_price = Decimal("0.00")
    elif line.unit_price is None:
        line.unit_price = product.price if product is not None else Decimal("0.00")


def refresh_totals(order_id: int) -> None:
    """Recompute a draft order's totals after its lines changed (saved through the rules)."""
    from models.sales import SalesOrder

    order = SalesOrder.get_or_none(SalesOrder.id == order_id)
    if order is not None and editable(order):
        order.save()  # check_order recomputes the totals of a draft


def approve_discount(order: Any) -> None:
    """Finance explicitly accepts a discount above the limit (B3)."""
    from rules import current_actor
    from rules.workflow import flow, moving

    actor = current_actor()
    if "finance" not in actor.roles and not actor.is_system:
        raise RuleViolation(_("Only finance approves discounts."))
    if not order.discount_flagged:
        raise RuleViolation(_("%(order)s has no discount to approve.", order=str(order)))
    wf = flow("sales_order")
    if wf.has(order.status, "final"):
        raise RuleViolation(_("%(order)s is closed: its discount is settled.", order=str(order)))
    if wf.has(order.status, "editable"):
        raise RuleViolation(
            _(
                "%(order)s is still a draft: approve its discount once it is submitted.",
                order=str(order),
            )
        )
    with moving(order, "amend"):
        order.discount_approved_by = actor.id
        order.save()
