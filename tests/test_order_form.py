"""The order form helps (B1, B5; issue 9 item 6): the type-ahead carries the list price and
the customer's points and address, the form opens for a customer from the query string (in
scope only), the server prices empty lines and recomputes totals, and over-redeeming is
refused at save on every path (form, import, save())."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest

import rules
from models import SalesOrder, SalesOrderLine
from rules import points
from tests.conftest import system
from tests.test_sales import acting, new_order, reload

LOOKUP = "/admin/sales_order/ajax/lookup/?name={name}&query={query}"


def give_points(world, customer, n):
    with system():
        points.post(customer.id, n, "earn", "opening", rules.SYSTEM)


def order_form(world, **fields):
    base = {
        "customer": world.c_sales1.id,
        "delivery": "pickup",
        "payment_method": "wechat",
        "discount": "0",
        "points_redeemed": "0",
    }
    return {**base, **fields}


def test_the_product_picker_carries_the_list_price(as_user, world):
    response = as_user("sales1").get(LOOKUP.format(name="salesorderline.product", query="HP"))
    assert json.loads(response.get_data(as_text=True)) == [
        [world.product.id, "HP-001 蜂胶软胶囊", {"price": "198.00"}]
    ]


def test_the_customer_picker_carries_points_and_delivery_details(as_user, world):
    give_points(world, world.c_sales1, 120)
    response = as_user("sales1").get(LOOKUP.format(name="customer", query="王"))
    (entry,) = json.loads(response.get_data(as_text=True))
    assert entry[:2] == [world.c_sales1.id, "王秀英 (13900000001)"]
    assert entry[2] == {
        "points": 120,
        "name": "王秀英",
        "phone": "13900000001",
        "address": "上海市静安区",
    }
    # the follow-up form's picker says nothing more than the name
    response = as_user("sales1").get("/admin/follow_up/ajax/lookup/?name=customer&query=王")
    assert json.loads(response.get_data(as_text=True)) == [entry[:2]]


def test_the_form_opens_for_a_customer_in_scope_only(as_user, world):
    c = as_user("sales1")
    html = c.get(f"/admin/sales_order/new/?customer={world.c_sales1.id}").get_data(as_text=True)
    chosen = re.search(r'<input[^>]*id="customer"[^>]*>', html).group(0)
    assert f'value="{world.c_sales1.id}"' in chosen and "王秀英" in chosen
    for other in (world.c_sales2.id, world.c_pool.id, "x1", "99999"):
        html = c.get(f"/admin/sales_order/new/?customer={other}").get_data(as_text=True)
        chosen = re.search(r'<input[^>]*id="customer"[^>]*>', html).group(0)
        assert "value=" not in chosen and "李建国" not in html and "张丽娟" not in html


def test_the_order_form_page_has_its_helps(as_user, world):
    html = as_user("sales1").get("/admin/sales_order/new/").get_data(as_text=True)
    assert 'src="/static/order_form.js"' in html
    assert 'data-testid="order-sums"' in html and 'data-yuan-per-point="0.01"' in html
    assert as_user("sales1").get("/static/order_form.js").status_code == 200


def test_an_empty_price_takes_the_list_price_and_the_server_recomputes(as_user, world):
    give_points(world, world.c_sales1, 300)
    form = order_form(world, discount="10", points_redeemed="200", subtotal="1", total="1")
    form |= {"lines-0-product": world.product.id, "lines-0-quantity": "3"}
    form |= {"lines-0-unit_price": ""}
    response = as_user("sales1").post("/admin/sales_order/new/", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with system():
        order = SalesOrder.get()
        (line,) = SalesOrderLine.select().where(SalesOrderLine.order == order.id)
    assert line.unit_price == Decimal("198.00")
    assert (order.subtotal, order.total) == (Decimal("594.00"), Decimal("582.00"))


def test_over_redeeming_is_refused_on_the_form(as_user, world):
    give_points(world, world.c_sales1, 100)
    c = as_user("sales1")
    html = c.post("/admin/sales_order/new/", order_form(world, points_redeemed="101"))
    html = html.get_data(as_text=True)
    assert "the customer has 100, 101 asked" in html or "客户现有 100 分" in html
    with system():
        assert not SalesOrder.select().exists()
    assert c.post("/admin/sales_order/new/", order_form(world, points_redeemed="100")).status_code
    with system():
        assert SalesOrder.get().points_redeemed == 100


def test_over_redeeming_is_refused_on_import(as_user, world):
    give_points(world, world.c_sales1, 10)
    text = "customer,delivery,points_redeemed\n13900000001,pickup,11\n"
    data = {"file": (io.BytesIO(text.encode()), "orders.csv")}
    page = as_user("sales1").post(
        "/admin/sales_order/import/", data, content_type="multipart/form-data"
    )
    html = page.get_data(as_text=True)
    assert "the customer has 10, 11 asked" in html or "客户现有 10 分" in html
    with system():
        assert not SalesOrder.select().exists()


def test_over_redeeming_is_refused_on_save(world):
    give_points(world, world.c_sales1, 50)
    with pytest.raises(rules.RuleViolation, match="has 50, 51 asked"):
        new_order(world, points_redeemed=51)
    order = new_order(world, points_redeemed=50)
    with acting(world.sales1), pytest.raises(rules.RuleViolation, match="points_redeemed"):
        row = reload(order)
        row.points_redeemed = 60
        row.save()
    # another order spent the points meanwhile: editing the note does not re-judge them
    with system():
        points.post(world.c_sales1.id, -50, "redeem", "elsewhere", rules.SYSTEM)
    with acting(world.sales1):
        row = reload(order)
        row.note = "客户下午来取"
        row.save()
    assert reload(order).note == "客户下午来取"
