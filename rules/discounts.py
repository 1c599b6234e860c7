"""Discount control (B3): the discount that the limit applies to is everything charged below
list price, however it is given.

    effective discount = header discount
                       + Σ (list price − charged price) × quantity   over lines priced under list
                       + Σ list price × quantity                     over gift lines (charged 0)

It is compared with `[sales] discount_limit_percent` of the order's value at list price. Over
the limit the order is flagged and finance must approve it before payment (rules/sales.py).
Redeemed points are a means of payment, not a discount, and do not count.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rules import settings

CENT = Decimal("0.01")
WATCHED = ("discount", "effective_discount", "points_redeemed", "subtotal")


def assess(order: Any) -> None:
    """Set the order's effective discount and its flag from its lines and header discount."""
    from models.sales import SalesOrderLine

    zero = Decimal("0.00")
    listed, below = SalesOrderLine.below_list_of(order.id) if order.id else (zero, zero)
    order.effective_discount = (Decimal(order.discount or 0) + below).quantize(CENT)
    limit = (listed * settings().sales.discount_limit_percent / 100).quantize(CENT)
    order.discount_flagged = order.effective_discount > limit


def share_of_list(order: Any) -> tuple[Decimal, Decimal]:
    """(value at list price, effective discount as a percentage of it) for display."""
    from models.sales import SalesOrderLine

    listed, _below = SalesOrderLine.below_list_of(order.id)
    if not listed:
        return listed, Decimal("0.0")
    share = Decimal(order.effective_discount or 0) * 100 / listed
    return listed, share.quantize(Decimal("0.1"))


def approval_lapses(old: dict | None, record: Any) -> bool:
    """True when finance approved a discount and the money it saw has changed since."""
    if old is None or record.discount_approved_by_id is None:
        return False
    return any(
        Decimal(str(old.get(name) or 0)) != Decimal(str(getattr(record, name) or 0))
        for name in WATCHED
    )
