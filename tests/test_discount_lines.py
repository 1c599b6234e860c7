"""B3: the discount limit covers everything charged below list price — the header discount,
lines priced under list and gift lines — on the form path and through the real chain."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest

import rules
from models import SalesOrder, SalesOrderLine, db
from tests.conftest import system
from tests.test_sales import acting, new_order, reload, stock


def order_form(world, customer=None, discount="0", **line) -> dict:
    """The sales-order form as a browser posts it, with one line."""
    fields = {
        "customer": (customer or world.c_sales1).id,
        "delivery": "pickup",
        "payment_method": "wechat",
        "discount": discount,
        "points_redeemed": "0",
        "lines-0-product": world.product.id,
        "lines-0-quantity": "1",
        "lines-0-unit_price": "",
    }
    fields.update({f"lines-0-{k}": v for k, v in line.items()})
    return fields


def create_by_form(client, fields) -> SalesOrder:
    response = client.post("/admin/sales_order/new/", fields)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with system():
        return SalesOrder.select().order_by(SalesOrder.id.desc()).first()


def http_step(client, order, state) -> SalesOrder:
    """Take one approval step through the grid's bulk action, as a browser does."""
    client.post("/admin/sales_order/action/", {"action": f"to_{state}", "rowid": order.id})
    return reload(order)


CASES = [
    pytest.param({"unit_price": "1.00"}, Decimal("197.00"), Decimal("1.00"), id="line-price"),
    pytest.param({"is_gift": "y", "unit_price": "198.00"}, Decimal("198.00"), Decimal("0.00"),
                 id="gift-line"),
]  # fmt: skip


@pytest.mark.parametrize("line,below,total", CASES)
def test_a_line_under_list_price_is_flagged_and_finance_must_approve(
    as_user, world, line, below, total
):
    stock(world)
    sales1 = as_user("sales1")
    order = create_by_form(sales1, order_form(world, **line))
    assert order.total == total
    assert order.effective_discount == below and order.discount_flagged
    order = http_step(sales1, order, "submitted")
    order = http_step(as_user("supervisor"), order, "verified")
    finance = as_user("finance")
    assert http_step(finance, order, "paid").status == "verified"  # refused: not approved
    finance.post("/admin/sales_order/action/", {"action": "approve_discount", "rowid": order.id})
    order = http_step(finance, order, "paid")
    assert order.status == "paid" and order.discount_approved_by_id == world.finance.id


def test_effective_discount_adds_header_lines_and_gifts(world):
    order = new_order(world, qty=2, discount="10.00")  # 2 × ¥198 at list
    with db.connection_context(), acting(world.sales1):
        SalesOrderLine(order=order.id, product=world.product.id, quantity=1, unit_price=180).save()
        SalesOrderLine(order=order.id, product=world.product.id, quantity=1, is_gift=True).save()
        SalesOrderLine(order=order.id, product=world.product.id, quantity=1, unit_price=250).save()
    order = reload(order)
    # ¥10 header + ¥18 under list + ¥198 gift; the line above list offsets nothing
    assert order.effective_discount == Decimal("226.00")
    assert order.subtotal == Decimal("826.00") and order.total == Decimal("816.00")
    assert order.discount_flagged  # 226 > 10% of 990 at list


def test_a_small_line_discount_stays_within_the_limit(as_user, world):
    order = create_by_form(as_user("sales1"), order_form(world, unit_price="180.00"))
    assert order.effective_discount == Decimal("18.00") and not order.discount_flagged


def test_a_gift_is_free_whatever_price_is_typed(world):
    with db.connection_context(), acting(world.sales1):
        order = SalesOrder(customer=world.c_sales1.id)
        order.save()
        SalesOrderLine(
            order=order.id, product=world.product.id, quantity=3, unit_price=198, is_gift=True
        ).save()
    with system():
        line = SalesOrderLine.get(SalesOrderLine.order == order.id)
        assert (line.unit_price, line.list_price) == (Decimal("0.00"), Decimal("198.00"))


def test_a_line_discount_is_approved_like_a_header_one_and_the_approval_lapses(world):
    from tests.test_sales import step

    order = new_order(world, qty=1)
    with db.connection_context(), acting(world.sales1):
        line = SalesOrderLine.get(SalesOrderLine.order == order.id)
        line.unit_price = Decimal("100.00")
        line.save()
    order = step(world.supervisor, step(world.sales1, order))
    from rules.sales import approve_discount

    order = step(world.finance, order, approve_discount)
    with system():  # as a correction by SYSTEM would: the approval covered the old price
        row = reload(order)
        row.discount = Decimal("50.00")
        row.save()
    assert reload(order).discount_approved_by_id is None
    with pytest.raises(rules.RuleViolation, match="approve the discount"):
        step(world.finance, order)


def test_the_order_and_the_invoice_show_the_effective_discount(as_user, world):
    stock(world)
    sales1 = as_user("sales1")
    order = http_step(
        sales1, create_by_form(sales1, order_form(world, unit_price="1.00")), "submitted"
    )
    owner = as_user("owner")
    grid = owner.get("/admin/sales_order/").get_data(as_text=True)
    assert "¥197.00" in grid
    details = owner.get(f"/admin/sales_order/details/?id={order.id}").get_data(as_text=True)
    assert 'data-testid="effective-discount"' in details and "¥197.00" in details
    assert "99.5%" in details and "¥198.00" in details  # its share of the list price
    with system():
        import printouts

        pdf = printouts.render_pdf("sales_invoice", [reload(order)])
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "低于标价¥197.00" in text.replace(" ", "") and "待财务批准" in text.replace(" ", "")
