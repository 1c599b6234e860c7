"""The effects of the sales chain (B2-B5, A3, A4): what each transition of
`[workflows.sales_order]` does besides moving the state. They run as SYSTEM on behalf of the
person who takes the step (`rules.effect_of`), so points, stock and the customer's last
purchase are written whatever that person may edit, and audited as "by X via <step>"."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from models.audit import utcnow
from rules import RuleViolation, deals, settings
from rules import points as points_ledger
from rules.i18n import gettext as _
from rules.pickup import check_goods_out, goods_leave_from
from rules.step_forms import field_check
from rules.stock import post_outbound
from rules.workflow import Step, effect, relies_on
from rules.workflow_batch import batch_effect

TABLE = "sales_order"
# printing (money vouchers, voided invoices), last purchase, reports and the goods-out queue
relies_on(TABLE, __name__, "money_received", "goods_out", "void")


@effect(TABLE, "freeze_submission")
def freeze_submission(order: Any, step: Step) -> None:
    """Freeze the totals and the performance credit (A3) as the order is submitted."""
    from models.sales import SalesOrderLine
    from rules.sales import compute_totals

    if not SalesOrderLine.select().where(SalesOrderLine.order == order.id).exists():
        raise RuleViolation({"__all__": [_("Add at least one product line before submitting.")]})
    customer = order.customer
    compute_totals(order)
    order.credit_owner = customer.owner_id
    order.credit_salesperson = _seller(customer, step.person)
    order.store = customer.store_id
    order.submitted_at = utcnow()
    have = points_ledger.balance(customer.id)
    if order.points_redeemed > have:
        raise RuleViolation(
            {"points_redeemed": [_("Not enough points: the customer has %(have)d.", have=have)]}
        )


def _seller(customer: Any, person: Any) -> int | None:
    """A5: a store sale credits the clerk of that store who submits it (who served it);
    any other sale the customer's salesperson, else its owner."""
    if customer.store_id is not None and person.store_id == customer.store_id:
        return person.id
    return customer.salesperson_id or customer.owner_id


@effect(TABLE, "record_payment", while_marked="money_received", reversed_by="undo_payment")
def record_payment(order: Any, step: Step) -> None:
    """Finance confirms the money (B3, A4): a big discount needs explicit approval first; the
    customer's last purchase moves."""
    if order.discount_flagged and order.discount_approved_by_id is None:
        msg = _(
            "%(order)s has a discount above the limit: approve the discount first.",
            order=str(order),
        )
        raise RuleViolation({"discount": [msg]})
    order.paid_amount = order.paid_amount or order.total
    order.paid_at = utcnow()
    deals.record(order)


def _discount_cleared(orders: Any) -> Any:
    return ~orders.discount_flagged | orders.discount_approved_by.is_null(False)


@batch_effect(TABLE, "record_payment", accepts=_discount_cleared)
def record_payment_batch(orders: Any, where: Any, step: Step, now: Any) -> dict:
    """`record_payment` for a batch whose discounts need no approval (or have it)."""
    from peewee import Case

    deals.record_many(orders, where, now)
    unpaid = orders.paid_amount.is_null() | (orders.paid_amount == 0)
    return {orders.paid_amount: Case(None, [(unpaid, orders.total)], orders.paid_amount),
            orders.paid_at: now}  # fmt: skip


@effect(TABLE, "undo_payment")
def undo_payment(order: Any, step: Step) -> None:
    """The payment is taken back: the last purchase falls back, the amount is cleared."""
    deals.undo(order)
    order.paid_amount = 0
    order.paid_at = None


@effect(TABLE, "earn_points", while_marked="money_received", reversed_by="reverse_points")
def earn_points(order: Any, step: Step) -> None:
    """B5: redeemed points leave the balance, earned points join it (ledger lines)."""
    source = f"sales_order:{order.id}"
    points_ledger.post(order.customer_id, -order.points_redeemed, "redeem", source, step.person)
    rate = settings().sales.points_per_yuan
    order.points_earned = int((order.total * rate).to_integral_value(rounding=ROUND_DOWN))
    points_ledger.post(order.customer_id, order.points_earned, "earn", source, step.person)


@batch_effect(TABLE, "earn_points", accepts=lambda orders: orders.points_redeemed == 0)
def earn_points_batch(orders: Any, where: Any, step: Step, now: Any) -> dict:
    """`earn_points` for a batch that redeems nothing (a redemption's balance check is per
    order): one ledger line per order, balances moved once per customer."""
    earned = points_ledger.whole_points(orders.total, settings().sales.points_per_yuan)
    points_ledger.earn_many(orders, where, earned, step.person, now)
    return {orders.points_earned: earned}


@effect(TABLE, "reverse_points")
def reverse_points(order: Any, step: Step) -> None:
    """Opposite ledger lines for what the payment posted (never an edit)."""
    points_ledger.reverse(f"sales_order:{order.id}", step.person)
    order.points_earned = 0


@effect(TABLE, "post_sale_outbound", while_marked="goods_out")
def post_sale_outbound(order: Any, step: Step) -> None:
    """Goods out (B4): sale-outbound lines where the goods leave, refused with the place and
    the shortfall named. Undoing it is a return (its own process), so nothing leaves a state
    marked goods_out without one."""
    place = goods_leave_from(order)
    check_goods_out(order, place, step.person)
    order.ship_from = place
    lines = [(line, line.quantity) for line in order.lines]
    post_outbound(lines, place, "sale_outbound", f"sales_order:{order.id}", order.number)
    order.shipped_at = utcnow()


# -- step forms (issue 8 item 5): what finance and the warehouse fill in at their step ---------


@field_check(TABLE, "courier", choices=lambda: list(settings().sales.couriers))
def _courier(order: Any, value: Any) -> str | None:
    return None  # the choice from [sales] couriers is the whole rule


@field_check(TABLE, "paid_amount")
def _amount_received(order: Any, value: Any) -> str | None:
    """B3: the money received is the order's total, to the fen."""
    if Decimal(value) != order.total:
        return _("it must equal the order total, ¥%(total)s.", total=f"{order.total:.2f}")
    return None
