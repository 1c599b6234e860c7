"""A customer's last purchase (A4): set when finance confirms an order's payment, undone when a
paid order is cancelled. A customer who bought within `exempt_recent_deal_days` is not
reclaimed, so nobody sets it by hand.

Finance may not edit customers: these run inside the effects of finance's (or the canceller's)
step, which the workflow engine runs as SYSTEM on their behalf, and the audit row says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import fn

from rules import Actor, register
from rules.i18n import gettext as _


@register("customer")
def check_last_deal(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Only a paid order moves a customer's last purchase (it exempts them from reclaim)."""
    if action == "delete" or actor.is_system:
        return None
    before = old["last_deal_at"] if old else None
    if record.last_deal_at != before:
        return {"last_deal_at": [_("The last purchase is set when an order is paid.")]}
    return None


def _other_deals(order: Any) -> datetime | None:
    """The latest payment of the customer's other paid or shipped orders."""
    from models.sales import SalesOrder
    from rules.workflow import marked

    return (
        SalesOrder.select(fn.MAX(SalesOrder.paid_at))
        .where(
            (SalesOrder.customer == order.customer_id)
            & SalesOrder.status.in_(marked("sales_order", "money_received"))
            & (SalesOrder.id != order.id)
        )
        .scalar()
    )


def record(order: Any) -> None:
    """The order is being paid: the customer bought now."""
    from models.customers import Customer

    customer = Customer.get_by_id(order.customer_id)
    if customer.last_deal_at is None or customer.last_deal_at < order.paid_at:
        customer.last_deal_at = order.paid_at
        customer.save()


def undo(order: Any) -> None:
    """A paid order is cancelled: the last purchase falls back to the customer's previous one
    (only if it was this order's; an earlier or later deal stands)."""
    from models.customers import Customer

    customer = Customer.get_by_id(order.customer_id)
    if customer.last_deal_at == order.paid_at:
        customer.last_deal_at = _other_deals(order)
        customer.save()


def record_many(orders: Any, where: Any, paid_at: datetime) -> int:
    """Set-based `record` for the orders matching `where`, all paid at `paid_at` (one audit row
    per customer whose last purchase moves). Returns the number of customers moved."""
    from models.customers import Customer
    from rules import current_actor
    from rules.bulk import audited_update

    buyers = orders.select(orders.customer).where(where)
    moves = Customer.id.in_(buyers) & (
        Customer.last_deal_at.is_null() | (Customer.last_deal_at < paid_at)
    )
    return audited_update(Customer, moves, {Customer.last_deal_at: paid_at}, current_actor())
