"""Performance report (A3, A5): paid sales per credited person per period, over exactly the
orders the reader may see.

Periods are the shop's calendar (`[app] timezone`), not UTC: a sale at 07:00 in Beijing on the
1st is 23:00 UTC on the last day of the month before. Rows are per person (id), so two people
with the same name are never merged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from peewee import SQL, Case, fn

from models.db import is_postgres
from rules import Actor, settings
from rules.scope import visible

GRAINS = ("day", "month", "year")
_SQLITE = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_PG = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}


def _offset(zone: ZoneInfo, epoch: int) -> int:
    """The zone's UTC offset in seconds at a moment (seconds since 1970, UTC)."""
    return int(datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset().total_seconds())


def offsets(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """[(until, offset seconds)] in force from `lo` to `hi` (naive UTC); the last has no end.

    Looks once a day and bisects each change to the second (zones change at most twice a year).
    """
    start, end = (int(t.replace(tzinfo=UTC).timestamp()) for t in (lo, hi))
    segments: list[tuple[datetime | None, int]] = []
    current = _offset(zone, start)
    for day in range(start, end + 86400, 86400):
        if _offset(zone, day) == current:
            continue
        before, after = day - 86400, day
        while after - before > 1:
            middle = (before + after) // 2
            if _offset(zone, middle) == current:
                before = middle
            else:
                after = middle
        segments.append((datetime.fromtimestamp(after, UTC).replace(tzinfo=None), current))
        current = _offset(zone, after)
    return [*segments, (None, current)]


def local_clock(field: Any, lo: datetime | None, hi: datetime | None) -> Any:
    """SQL: a stored UTC timestamp as the configured zone's wall clock.

    PostgreSQL converts with the zone itself; SQLite adds the zone's offset, piece by piece
    across any offset change between `lo` and `hi` (the range of the rows asked about).
    """
    name = settings().app.timezone
    if is_postgres():
        return fn.timezone(name, fn.timezone("UTC", field))
    now = datetime.now(UTC).replace(tzinfo=None)
    pieces = offsets(ZoneInfo(name), lo or now, hi or now)
    shifted = [fn.datetime(field, f"{seconds:+d} seconds") for _until, seconds in pieces]
    if len(pieces) == 1:
        return shifted[0]
    whens = [(field < until, expr) for (until, _s), expr in zip(pieces, shifted, strict=True)]
    return Case(None, whens[:-1], shifted[-1])


def period(field: Any, grain: str, lo: datetime | None = None, hi: datetime | None = None) -> Any:
    """SQL: the local period label of a UTC timestamp (e.g. 2026-11)."""
    local = local_clock(field, lo, hi)
    if is_postgres():
        return fn.to_char(local, _PG[grain])
    return fn.strftime(_SQLITE[grain], local)


def utc_of_local_day(day: date) -> datetime:
    """The UTC moment (naive) at which a local calendar day begins."""
    zone = ZoneInfo(settings().app.timezone)
    return datetime.combine(day, time.min, zone).astimezone(UTC).replace(tzinfo=None)


def performance(
    actor: Actor,
    by: str,
    grain: str,
    start: date | None,
    end: date | None,
    store_id: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of {period, person_id, person, orders, amount} for paid or shipped orders."""
    from models.sales import SalesOrder
    from models.staff import Staff
    from rules.workflow import marked

    who = SalesOrder.credit_owner if by == "owner" else SalesOrder.credit_salesperson
    query = SalesOrder.select().where(
        SalesOrder.status.in_(marked("sales_order", "money_received"))
    )
    if start:
        query = query.where(SalesOrder.paid_at >= utc_of_local_day(start))
    if end:
        query = query.where(SalesOrder.paid_at < utc_of_local_day(end + timedelta(days=1)))
    if store_id:
        query = query.where(SalesOrder.store == store_id)
    query = visible(query, SalesOrder, actor)
    lo = hi = None
    if not is_postgres():  # SQLite shifts by the offsets in force over these rows' range
        lo, hi = query.select(fn.MIN(SalesOrder.paid_at), fn.MAX(SalesOrder.paid_at)).scalar(
            as_tuple=True
        )
    label = period(SalesOrder.paid_at, grain, lo, hi)
    rows = (
        query.select(
            label.alias("period"),
            Staff.id.alias("person_id"),
            Staff.display_name.alias("person"),
            fn.COUNT(SQL("*")).alias("orders"),
            fn.SUM(SalesOrder.total).alias("amount"),
        )
        .join(Staff, on=(who == Staff.id))
        .group_by(label, Staff.id, Staff.display_name)
        .order_by(label.desc(), SQL("amount DESC"), Staff.id)
    )
    return list(rows.dicts())


def daily_sales(actor: Actor, first: date, last: date) -> dict[date, Decimal]:
    """Paid sales per local day from `first` to `last` (inclusive) over the orders the reader
    may see: one query, searched by the payment time index."""
    from models.sales import SalesOrder
    from rules.workflow import marked

    lo, hi = utc_of_local_day(first), utc_of_local_day(last + timedelta(days=1))
    query = SalesOrder.select().where(
        (SalesOrder.paid_at >= lo)
        & (SalesOrder.paid_at < hi)
        & SalesOrder.status.in_(marked("sales_order", "money_received"))
    )
    label = period(SalesOrder.paid_at, "day", lo, hi)
    rows = (
        visible(query, SalesOrder, actor)
        .select(label.alias("day"), fn.SUM(SalesOrder.total).alias("amount"))
        .group_by(label)
        .tuples()
    )
    return {date.fromisoformat(day): Decimal(str(amount or 0)) for day, amount in rows}


def sales_summary(actor: Actor, today: date, weeks: int = 12) -> dict[str, Any]:
    """This month so far against last month (whole and to the same day), and the totals of
    the last `weeks` weeks (Monday to Sunday, this week last), for the home page."""
    month = today.replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    week_one = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    days = daily_sales(actor, min(previous, week_one), today)

    def total(first: date, end: date) -> Decimal:
        return sum((v for d, v in days.items() if first <= d < end), Decimal("0.00"))

    same_day = min(today.day, (month - previous).days)
    starts = [week_one + timedelta(days=7 * i) for i in range(weeks)]
    return {
        "this_month": total(month, today + timedelta(days=1)),
        "last_month": total(previous, month),
        "last_month_to_date": total(previous, previous + timedelta(days=same_day)),
        "weeks": [(start, total(start, start + timedelta(days=7))) for start in starts],
    }
