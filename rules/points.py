"""Member points (B5): earned when an order is paid, redeemed on an order, never negative."""

from __future__ import annotations

from typing import Any

from peewee import Value

from models.db import db
from rules import Actor, RuleViolation
from rules.i18n import gettext as _


def balance(customer_id: int) -> int:
    """The customer's points balance (0 without an account)."""
    from models.points import PointsAccount

    row = PointsAccount.get_or_none(PointsAccount.customer == customer_id)
    return row.balance if row else 0


def post(customer_id: int, delta: int, reason: str, source: str, actor: Actor) -> int:
    """Add a ledger entry and move the balance; refuse a balance below zero. Returns it."""
    from models.points import PointsAccount, PointsEntry

    if not delta:
        return balance(customer_id)
    with db.atomic():
        PointsAccount.insert(customer=customer_id, balance=0).on_conflict_ignore().execute()
        changed = (
            PointsAccount.update(balance=PointsAccount.balance + delta)
            .where((PointsAccount.customer == customer_id) & (PointsAccount.balance + delta >= 0))
            .execute()
        )
        if not changed:
            raise RuleViolation(
                {
                    "points_redeemed": [
                        _(
                            "Not enough points: the customer has %(have)d.",
                            have=balance(customer_id),
                        )
                    ]
                }
            )
        after = balance(customer_id)
        PointsEntry.create(
            customer=customer_id,
            delta=delta,
            reason=reason,
            source=source,
            balance_after=after,
            by_name=actor.username,
        )
    return after


def reverse(source: str, actor: Actor) -> None:
    """Undo what `source` posted since its last reversal with opposite entries (a rejected or
    cancelled order); a second reversal after paying again undoes only the second payment.
    Given-back redemptions go first, so the balance never dips below zero on the way."""
    from peewee import fn

    from models.points import PointsEntry

    of_source = PointsEntry.source == source
    last = (
        PointsEntry.select(fn.MAX(PointsEntry.id))
        .where(of_source & (PointsEntry.reason == "reverse"))
        .scalar()
    )
    open_entries = of_source & (PointsEntry.reason != "reverse")
    if last is not None:
        open_entries &= PointsEntry.id > last
    for entry in list(PointsEntry.select().where(open_entries).order_by(PointsEntry.delta)):
        post(entry.customer_id, -entry.delta, "reverse", source, actor)


def whole_points(amount: Any, rate: Any) -> Any:
    """SQL: points for `amount` yuan at `rate`, rounded down like `ROUND_DOWN` (SQLite's
    floating product is first rounded to 6 places, so 2.3 x 100 is 230, not 229)."""
    from peewee import Cast, fn

    from models.db import is_postgres

    product = amount * Value(rate, converter=False)
    return Cast(fn.TRUNC(product) if is_postgres() else fn.ROUND(product, 6), "INTEGER")


def earn_many(orders: Any, where: Any, points: Any, actor: Actor, now: Any) -> None:
    """Set-based `post` of `points` (SQL, never negative) for each order matching `where`, in
    id order: accounts opened, one ledger line each with its running balance, balances moved."""
    from peewee import fn

    from models.points import PointsAccount, PointsEntry

    earning = where & (points > 0)
    customer = orders.customer
    new = orders.select(customer, Value(0)).where(
        earning & customer.not_in(PointsAccount.select(PointsAccount.customer))
    )
    PointsAccount.insert_from(
        new.distinct(), [PointsAccount.customer, PointsAccount.balance]
    ).execute()
    running = fn.SUM(points).over(partition_by=[customer], order_by=[orders.id])
    lines = (
        orders.select(
            customer,
            points,
            Value("earn"),
            Value(f"{orders.model_key()}:").concat(orders.id),
            PointsAccount.balance + running,
            Value(actor.username),
            Value(now),
        )  # fmt: skip
        .join(PointsAccount, on=(PointsAccount.customer == customer))
        .where(earning)
    )
    fields = ["customer", "delta", "reason", "source", "balance_after", "by_name", "at"]
    PointsEntry.insert_from(lines, [getattr(PointsEntry, f) for f in fields]).execute()
    added = orders.select(fn.SUM(points)).where(earning & (customer == PointsAccount.customer))
    PointsAccount.update(balance=PointsAccount.balance + added).where(
        PointsAccount.customer.in_(orders.select(customer).where(earning))
    ).execute()
