"""The sales order form's helpers (B1, B5): what the type-ahead tells the page about a picked
product (its list price) or customer (points balance, name, phone, address), and a customer
chosen in advance (`?customer=<id>`, e.g. from the customer's page).

The page's script (static/order_form.js) only fills in and adds up; the server stays the
judge: an empty price still takes the list price, totals are recomputed and over-redeeming is
refused by the rules (rules/sales.py) on every path.
"""

from __future__ import annotations

from typing import Any

from rules import settings


def product_facts(rows: list[Any]) -> dict[Any, dict[str, str]]:
    """A product's list price, for the line's price box."""
    return {row.get_id(): {"price": f"{row.price:.2f}"} for row in rows}


def customer_facts(rows: list[Any]) -> dict[Any, dict[str, Any]]:
    """Points balance and delivery details of the customers offered (one query for all)."""
    from models.points import PointsAccount

    ids = [row.get_id() for row in rows]
    balances = dict(
        PointsAccount.select(PointsAccount.customer, PointsAccount.balance)
        .where(PointsAccount.customer.in_(ids))
        .tuples()
    )
    return {
        row.get_id(): {
            "points": balances.get(row.get_id(), 0),
            "name": row.name,
            "phone": row.phone or "",
            "address": row.address or "",
        }
        for row in rows
    }


def page_settings() -> dict[str, Any]:
    """What the page's script needs to add up like the server does."""
    return {"yuan_per_point": str(settings().sales.yuan_per_point)}
