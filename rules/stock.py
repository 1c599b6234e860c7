"""Stock rules (D1, B4): posted lines never change; stock never goes below zero at a location.

Every posted line moves its (product, location) balance row in the same transaction, through
`move_balance` alone: a manual movement, a sale's outbound, a transfer. The guarded UPDATE
takes the row lock, so two shipments of the last unit take turns and the second is refused
(PostgreSQL; SQLite's IMMEDIATE transactions already take turns). The ledger stays the truth:
`balance_mismatches` compares the two.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rules import Actor, RuleViolation, register
from rules.i18n import gettext as _
from rules.scope import scope

OUTWARD = ("outbound", "transfer_out", "sale_outbound", "gift", "redemption")
INWARD = ("inbound", "transfer_in")


@scope("stock_move", "store_staff")
@scope("stock_balance", "store_staff")
def own_store_stock(model: type, actor: Actor) -> Any:
    """Store staff see their own store's stock and ledger lines only."""
    from rules.scope import NOTHING

    return NOTHING if actor.store_id is None else model.location == actor.store_id


@register("stock_move")
def check_posted_lines_never_change(
    record: Any, action: str, old: dict | None, actor: Actor
) -> dict | None:
    """A posted movement is never edited or deleted: post a reversing line instead."""
    if action in ("update", "delete"):
        return {"__all__": [_("Posted stock lines never change; post a reversing entry.")]}
    if not record.quantity:
        return {"quantity": [_("A movement moves at least one unit.")]}
    if record.kind in OUTWARD and record.quantity > 0:
        record.quantity = -record.quantity  # people type "5 out", the ledger stores -5
    if record.kind in INWARD and record.quantity < 0:
        return {"quantity": [_("An inbound movement adds stock: enter a positive quantity.")]}
    return None  # whether the stock is there is move_balance's, under the balance row's lock


def move_balance(line: Any) -> None:
    """Move the balance of the line's product at its location by its quantity, in the current
    transaction; raise RuleViolation, naming product and location, if it would go below zero."""
    from models.stock import StockBalance

    where = (StockBalance.product == line.product_id) & (StockBalance.location == line.location_id)
    StockBalance.insert(
        product=line.product_id, location=line.location_id, on_hand=0
    ).on_conflict_ignore().execute()
    moved = (
        StockBalance.update(on_hand=StockBalance.on_hand + line.quantity)
        .where(where & (StockBalance.on_hand + line.quantity >= 0))
        .execute()
    )
    if not moved:
        have = StockBalance.of(line.product_id, line.location_id)
        raise RuleViolation(
            {
                "quantity": [
                    _(
                        "Only %(have)d in stock at %(location)s (%(product)s); this would "
                        "leave %(left)d.",
                        have=have,
                        location=str(line.location),
                        product=str(line.product),
                        left=have + line.quantity,
                    )
                ]
            }
        )


def post_outbound(
    lines: list[tuple[Any, int]], location_id: int, kind: str, source: str, note: str = ""
) -> None:
    """Post negative movements for (product, quantity) pairs; refuse any shortfall, naming the
    location and each product short. Nothing is posted unless every product is in stock.

    `lines` items are (line, quantity) where `line.product` is the product and `line.id` the
    source line. Lines post in product order, so two orders lock balance rows in one order.
    """
    from models.staff import Location
    from models.stock import StockBalance, StockMove

    needed: dict[int, int] = defaultdict(int)
    products = {}
    for line, qty in lines:
        needed[line.product_id] += qty
        products[line.product_id] = line.product
    short = []
    for product_id, qty in sorted(needed.items()):
        have = StockBalance.of(product_id, location_id)
        if have < qty:
            short.append(
                _(
                    "%(product)s: need %(need)d, have %(have)d (short %(short)d)",
                    product=str(products[product_id]),
                    need=qty,
                    have=have,
                    short=qty - have,
                )
            )
    if short:
        place = Location.get_by_id(location_id)
        heading = _("Not enough stock at %(location)s to ship:", location=str(place))
        raise RuleViolation({"__all__": [heading, *short]})
    for line, qty in sorted(lines, key=lambda pair: (pair[0].product_id, pair[0].id or 0)):
        StockMove(
            product=line.product_id,
            location=location_id,
            quantity=-qty,
            kind=kind,
            source=source,
            source_line=line.id,
            note=note,
        ).save()


def _ledger_sums() -> Any:
    """Per (product, location): the sum of the ledger's lines."""
    from peewee import fn

    from models.stock import StockMove

    return StockMove.select(
        StockMove.product_id.alias("product_id"),
        StockMove.location_id.alias("location_id"),
        fn.SUM(StockMove.quantity).alias("total"),
    ).group_by(StockMove.product_id, StockMove.location_id)


def balance_mismatches() -> list[tuple[int, int, int, int]]:
    """(product, location, ledger sum, balance) wherever the balance row disagrees with the
    ledger: empty when they agree (a missing row counts as 0)."""
    from peewee import JOIN, fn

    from models.stock import StockBalance

    sums = _ledger_sums().alias("sums")
    on = (StockBalance.product == sums.c.product_id) & (StockBalance.location == sums.c.location_id)
    ledger_side = (
        sums.select_from(sums.c.product_id, sums.c.location_id, sums.c.total, StockBalance.on_hand)
        .join(StockBalance, JOIN.LEFT_OUTER, on=on)
        .where(fn.COALESCE(StockBalance.on_hand, 0) != sums.c.total)
    )
    orphans = (
        StockBalance.select(
            StockBalance.product,
            StockBalance.location,
            fn.COALESCE(sums.c.total, 0),
            StockBalance.on_hand,
        )
        .join(sums, JOIN.LEFT_OUTER, on=on)
        .where(sums.c.product_id.is_null() & (StockBalance.on_hand != 0))
    )
    return sorted((*ledger_side.tuples(), *orphans.tuples()), key=lambda row: (row[0], row[1]))


def rebuild_balances(note: str) -> int:
    """Recompute every balance row from the ledger (the upgrade that adds them).

    A place whose ledger already sums below zero (shipments that raced before the balance rows
    existed) first gets an adjustment line up to 0, with `note`, so the stocktake finds it.
    Returns how many such lines were posted.
    """
    from models.stock import StockBalance, StockMove

    sums = _ledger_sums()
    negative = [row for row in sums.dicts() if row["total"] < 0]
    for row in negative:
        StockMove.insert(
            product=row["product_id"],
            location=row["location_id"],
            quantity=-row["total"],
            kind="adjustment",
            source="migration",
            note=note,
        ).execute()
    StockBalance.delete().execute()
    StockBalance.insert_from(
        _ledger_sums(), [StockBalance.product, StockBalance.location, StockBalance.on_hand]
    ).execute()
    return len(negative)
