"""The six sales vouchers (B6): their numbers, what each page shows, and the printing rule.

Each voucher number is the kind's prefix and the order number without its own prefix, so it
is unique and the same every time it is reprinted:

    sales_invoice   销售单（非发票）    FP-20261128-0001   (SO-20261128-0001)
    sales_receipt   销售小票            XP-20261128-0001
    payment_receipt 收款凭证            SK-20261128-0001
    pickup_voucher  领货凭证            LH-20261128-0001
    express_waybill 快递单              KD-20261128-0001   (also its Code 128 barcode)
    points_slip     会员积分及使用小票  JF-20261128-0001

An order number that does not start with the configured prefix (an imported one) is kept
whole: FP-OLD123. Whether an order may be printed is `rules.printing`, checked by
`printouts.render_pdf` for every path.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import printouts
import rules
from printouts.numerals import rmb_upper
from rules.printing import check_all
from rules.workflow import label

CENT = Decimal("0.01")

#: Voucher kind -> its Chinese title (the number prefixes are printouts.PREFIXES).
TITLES: dict[str, str] = {
    "sales_invoice": "销售单",  # A4 销售明细开单; says plainly it is not a tax 发票
    "sales_receipt": "销售小票",
    "payment_receipt": "收款凭证",
    "pickup_voucher": "领货凭证",
    "express_waybill": "快递单",
    "points_slip": "会员积分及使用小票",
}

PAYMENT_METHODS = {
    "cash": "现金",
    "card": "银行卡",
    "wechat": "微信支付",
    "alipay": "支付宝",
    "transfer": "银行转账",
}
DELIVERIES = {"pickup": "门店自提", "express": "快递配送"}


def money(value: Decimal | int | None) -> str:
    """An amount as printed in a figures column: 1,234.50."""
    return f"{Decimal(value or 0).quantize(CENT):,.2f}"


def less(value: Decimal | int | None) -> str:
    """An amount taken off a total: -30.00, and 0.00 (not -0.00) when nothing is."""
    return f"-{money(value)}" if value else money(0)


def masked(phone: str | None) -> str:
    """A phone number as a receipt shows it: 139****0001 (a short one is left as is)."""
    phone = phone or ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 11 else phone


def voucher_number(kind: str, order: Any) -> str:
    """The voucher's number: its prefix and the order number's date and serial."""
    prefix = printouts.PREFIXES[kind]
    own = f"{rules.settings().sales.number_prefix}-"
    stem = order.number[len(own) :] if order.number.startswith(own) else order.number
    return f"{prefix}-{stem}"


def _lines(order: Any) -> list[dict[str, Any]]:
    """The order's lines, sold goods first, then gifts (each with its row number)."""
    from models.catalog import Product
    from models.sales import SalesOrderLine

    rows = (
        SalesOrderLine.select(SalesOrderLine, Product)
        .join(Product)
        .where(SalesOrderLine.order == order.id)
        .order_by(SalesOrderLine.is_gift, SalesOrderLine.id)
    )
    return [
        {
            "index": index,
            "sku": row.product.sku,
            "name": row.product.name,
            "spec": row.product.spec,
            "unit": row.product.unit,
            "quantity": row.quantity,
            "list_price": row.list_price if row.list_price is not None else row.unit_price,
            "unit_price": row.unit_price,
            "amount": row.amount,
            "is_gift": row.is_gift,
        }
        for index, row in enumerate(rows, 1)
    ]


def _approvers(order: Any) -> dict[str, str]:
    """Who moved the order into each state (the latest time), by display name."""
    from models.staff import Staff
    from models.workflow import Transition

    steps = Transition.history("sales_order", order.id)
    names = {s.id: str(s) for s in Staff.select().where(Staff.id.in_({t.by_id for t in steps}))}
    return {t.to_state: names.get(t.by_id, t.by_name) for t in steps}


def _pickup_location(order: Any) -> str:
    """Where a pickup is handed over: the place its stock left, or will leave (B4)."""
    from models.staff import Location
    from rules.pickup import goods_leave_from

    place = Location.get_or_none(Location.id == (order.ship_from_id or goods_leave_from(order)))
    return place.name if place else ""


def _points(order: Any) -> dict[str, Any]:
    """The points this order moved, from its ledger entries: before, redeemed, earned, after."""
    from models.points import PointsEntry

    entries = list(
        PointsEntry.select()
        .where(
            (PointsEntry.source == f"sales_order:{order.id}")
            & PointsEntry.reason.in_(("redeem", "earn"))
        )
        .order_by(PointsEntry.id)
    )
    if entries:
        before = entries[0].balance_after - entries[0].delta
        after = entries[-1].balance_after
    else:  # nothing moved (no points redeemed or earned): the balance as it stood then
        last = (
            PointsEntry.select()
            .where(PointsEntry.customer == order.customer_id)
            .order_by(PointsEntry.id.desc())
        )
        if order.paid_at is not None:
            last = last.where(PointsEntry.at <= order.paid_at)
        row = last.first()
        before = after = row.balance_after if row else 0
    redeemed = -sum(e.delta for e in entries if e.reason == "redeem")
    earned = sum(e.delta for e in entries if e.reason == "earn")
    return {
        "before": before,
        "redeemed": redeemed,
        "earned": earned,
        "after": after,
        "redeemed_value": _points_value(redeemed),
    }


def _points_value(points: int) -> Decimal:
    return (Decimal(points or 0) * rules.settings().sales.yuan_per_point).quantize(CENT)


def _contents(lines: list[dict[str, Any]]) -> str:
    """What is in the parcel, e.g. "蜂胶软胶囊×2瓶、蜂胶软胶囊×1瓶(赠)"."""
    parts = [
        f"{line['name']}×{line['quantity']}{line['unit']}{'(赠)' if line['is_gift'] else ''}"
        for line in lines
    ]
    return "、".join(parts)


def page_context(kind: str, order: Any) -> dict[str, Any]:
    """What a voucher page shows besides the order itself: lines, totals, capitals, names."""
    lines = _lines(order)
    customer = order.customer
    salesperson = order.credit_salesperson or order.created_by
    context = {
        "order": order,
        "customer": customer,
        "title": TITLES[kind],
        "number": voucher_number(kind, order),
        "lines": lines,
        "quantity": sum(line["quantity"] for line in lines),
        "list_value": sum((line["list_price"] * line["quantity"] for line in lines), CENT * 0),
        "points_value": _points_value(order.points_redeemed),
        "total_upper": rmb_upper(Decimal(order.total or 0).quantize(CENT)),
        "paid_upper": rmb_upper(Decimal(order.paid_amount or 0).quantize(CENT)),
        "payment_method": PAYMENT_METHODS.get(order.payment_method, order.payment_method),
        "delivery": DELIVERIES.get(order.delivery, order.delivery),
        "state": label("sales_order", order.status, "zh_CN"),
        "salesperson": str(salesperson) if salesperson else "",
        "maker": str(order.created_by),
        "approvers": _approvers(order),
        "address": order.address or customer.address or "",
        "recipient": order.recipient or customer.name,
        "recipient_phone": order.recipient_phone or customer.phone,
        "masked_phone": masked(customer.phone),
    }
    if kind == "pickup_voucher":
        context["pickup_location"] = _pickup_location(order)
    if kind == "express_waybill":
        context["contents"] = _contents(lines)
    if kind in ("points_slip", "sales_receipt"):
        context["points"] = _points(order)
        context["points_per_yuan"] = rules.settings().sales.points_per_yuan
        context["yuan_per_point"] = rules.settings().sales.yuan_per_point
    return context


def _register() -> None:
    """Plug the vouchers into printouts: their numbers, page context and printing rule."""
    printouts._env.filters.update(money=money, less=less)
    for kind in TITLES:
        printouts.NUMBERS[kind] = partial(voucher_number, kind)
        printouts.PAGE_CONTEXT[kind] = partial(page_context, kind)
        printouts.CHECKS[kind] = partial(check_all, kind)


_register()
