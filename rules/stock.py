"""Stock rules (D1, B4): posted lines never change; shipping needs the stock to be there."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rules import Actor, RuleViolation, register
from rules.i18n import gettext as _


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
    if record.quantity < 0:
        from models.stock import StockMove

        have = StockMove.on_hand(record.product_id, record.location_id)
        if have + record.quantity < 0:
            return {
                "quantity": [
                    _(
                        "Only %(have)d in stock here; this would leave %(left)d.",
                        have=have,
                        left=have + record.quantity,
                    )
                ]
            }
    return None


OUTWARD = ("outbound", "transfer_out", "sale_outbound", "gift", "redemption")
INWARD = ("inbound", "transfer_in")


def post_outbound(
    lines: list[tuple[Any, int]], location_id: int, kind: str, source: str, note: str = ""
) -> None:
    """Post negative movements for (product, quantity) pairs; refuse any shortfall, naming it.

    `lines` items are (line, quantity) where `line.product` is the product and `line.id` the
    source line. Nothing is posted unless every product is in stock.
    """
    from models.stock import StockMove

    needed: dict[int, int] = defaultdict(int)
    products = {}
    for line, qty in lines:
        needed[line.product_id] += qty
        products[line.product_id] = line.product
    short = []
    for product_id, qty in needed.items():
        have = StockMove.on_hand(product_id, location_id)
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
        raise RuleViolation({"__all__": [_("Not enough stock to ship:")] + short})
    for line, qty in lines:
        StockMove(
            product=line.product_id,
            location=location_id,
            quantity=-qty,
            kind=kind,
            source=source,
            source_line=line.id,
            note=note,
        ).save()
