"""Which vouchers (B6) an order may be printed on, by its state and delivery.

A voucher is printable only once the order has reached the state in which it is valid: the
sales detail invoice once it has left the draft (not cancelled: a state marked `void`), money
vouchers in a state marked `money_received`,
the pickup voucher and the express waybill only for their own kind of delivery. Every print
path (grid action, CLI, job) reaches this through `printouts.render_pdf`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rules import RuleViolation
from rules.i18n import N_
from rules.i18n import gettext as _
from rules.workflow import flow, has_mark, state_text


def _submitted(order: Any) -> bool:
    """Past the draft and not cancelled: by the state's marks, never its name."""
    wf = flow("sales_order")
    return not wf.has(order.status, "editable") and not wf.has(order.status, "void")


def _paid(order: Any) -> bool:
    return has_mark("sales_order", order.status, "money_received")


def _paid_pickup(order: Any) -> bool:
    return _paid(order) and order.delivery == "pickup"


def _paid_express(order: Any) -> bool:
    return _paid(order) and order.delivery == "express"


#: Voucher kind -> whether an order may be printed on it.
PRINTABLE: dict[str, Callable[[Any], bool]] = {
    "sales_invoice": _submitted,
    "sales_receipt": _paid,
    "payment_receipt": _paid,
    "points_slip": _paid,
    "pickup_voucher": _paid_pickup,
    "express_waybill": _paid_express,
}

#: Voucher kind -> the delivery it is for (the others fit any delivery).
DELIVERY = {"pickup_voucher": N_("pickup"), "express_waybill": N_("express")}

#: Voucher kind -> its name in messages (translated; zh_CN uses the 凭证 names).
NAMES = {
    "sales_invoice": N_("sales detail invoice"),
    "sales_receipt": N_("sales receipt"),
    "payment_receipt": N_("payment receipt"),
    "points_slip": N_("member points slip"),
    "pickup_voucher": N_("pickup voucher"),
    "express_waybill": N_("express waybill"),
}


def _refusals(kind: str, order: Any) -> list[str]:
    """Why `order` cannot be printed on `kind`: its state and the one it must reach, or its
    delivery."""
    names = {
        "order": str(order),
        "voucher": _(NAMES[kind]),
        "state": state_text("sales_order", order.status),
    }
    found = []
    if kind == "sales_invoice" and not _submitted(order):
        found.append(
            _(
                "%(order)s is %(state)s: the %(voucher)s is printed once the order is "
                "submitted (and not cancelled).",
                **names,
            )
        )
    elif kind != "sales_invoice" and not _paid(order):
        found.append(
            _(
                "%(order)s is %(state)s: the %(voucher)s is printed once the order is "
                "paid or shipped.",
                **names,
            )
        )
    wanted = DELIVERY.get(kind)
    if wanted and order.delivery != wanted:
        found.append(
            _(
                "%(order)s is for %(delivery)s: the %(voucher)s is only for %(wanted)s orders.",
                delivery=_(order.delivery),
                wanted=_(wanted),
                **names,
            )
        )
    return found


def check_printable(kind: str, order: Any) -> None:
    """Refuse (RuleViolation) to print `order` on voucher `kind` before it is valid for it."""
    try:
        printable = PRINTABLE[kind]
    except KeyError:
        raise ValueError(f'no printing rule for "{kind}"; known: {", ".join(PRINTABLE)}') from None
    if not printable(order):
        raise RuleViolation({"__all__": _refusals(kind, order)})


def check_all(kind: str, orders: Iterable[Any]) -> None:
    """Refuse the whole print (RuleViolation naming every refused order) if any is refused."""
    refused: list[str] = []
    for order in orders:
        try:
            check_printable(kind, order)
        except RuleViolation as exc:
            refused.extend(exc.errors["__all__"])
    if refused:
        raise RuleViolation({"__all__": refused})
