"""Performance report (A3): paid sales per credited owner / store salesperson per period,
over exactly the orders the person may see."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from peewee import SQL, fn

from models.db import is_postgres
from rules import Actor
from rules.scope import visible

GRAINS = ("day", "month", "year")
_SQLITE = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_PG = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}


def period(field: Any, grain: str) -> Any:
    """SQL: the period label of a timestamp (e.g. 2026-11)."""
    if is_postgres():
        return fn.to_char(field, _PG[grain])
    return fn.strftime(_SQLITE[grain], field)


def performance(
    actor: Actor,
    by: str,
    grain: str,
    start: date | None,
    end: date | None,
    store_id: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of {period, person, orders, amount} for paid or shipped orders."""
    from models.sales import SalesOrder
    from models.staff import Staff

    who = SalesOrder.credit_owner if by == "owner" else SalesOrder.credit_salesperson
    label = period(SalesOrder.paid_at, grain)
    query = (
        SalesOrder.select(
            label.alias("period"),
            Staff.display_name.alias("person"),
            fn.COUNT(SQL("*")).alias("orders"),
            fn.SUM(SalesOrder.total).alias("amount"),
        )
        .join(Staff, on=(who == Staff.id))
        .where(SalesOrder.status.in_(["paid", "shipped"]))
    )
    if start:
        query = query.where(SalesOrder.paid_at >= datetime.combine(start, datetime.min.time()))
    if end:
        query = query.where(
            SalesOrder.paid_at < datetime.combine(end + timedelta(days=1), datetime.min.time())
        )
    if store_id:
        query = query.where(SalesOrder.store == store_id)
    query = visible(query, SalesOrder, actor)
    query = query.group_by(label, Staff.display_name).order_by(label.desc(), SQL("amount DESC"))
    return list(query.dicts())
