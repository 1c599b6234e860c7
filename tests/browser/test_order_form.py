"""The order form helps (B1, B5), in the Chinese UI: opened for a customer from the query
string, the points balance shows, picking a product fills its list price, totals add up as
one types, express delivery takes the customer's details; the saved order agrees.
Screenshots at 1366 and 768 px land in tests/artifacts/."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

import rules
from models.sales import SalesOrder
from rules import points
from tests.browser.conftest import login, set_language
from tests.browser.journey import save_form, shoot
from tests.browser.test_journey_sales import pick
from tests.conftest import system


def test_the_order_form_helps_in_chinese(page, live_server, world):
    with system():
        points.post(world.c_sales1.id, 300, "earn", "opening", rules.SYSTEM)
    login(page, live_server, "sales1")
    set_language(page, "zh_CN")
    page.goto(f"{live_server}/admin/sales_order/new/?customer={world.c_sales1.id}")
    expect(page.locator("#s2id_customer .select2-chosen")).to_have_text(
        f"王秀英 ({world.c_sales1.phone})"
    )
    balance = page.get_by_test_id("points-balance")
    expect(balance).to_have_text("积分余额：300")

    page.click("#lines-button")
    pick(page, "lines-0-product", "蜂胶", f"HP-001 {world.product.name}")
    expect(page.locator("#lines-0-unit_price")).to_have_value("198.00")  # the list price
    page.fill("#lines-0-quantity", "3")
    sums = page.get_by_test_id("order-sums")
    expect(page.locator("#lines-0 [data-line-total]")).to_have_text("¥594.00")
    page.fill("#discount", "10")
    page.fill("#points_redeemed", "200")  # 200 x ¥0.01
    expect(sums.locator("[data-sum=subtotal]")).to_have_text("¥594.00")
    expect(sums.locator("[data-sum=total]")).to_have_text("¥582.00")
    page.fill("#points_redeemed", "301")
    expect(balance).to_contain_text("超过客户现有积分")
    page.fill("#points_redeemed", "200")

    page.select_option("#delivery", "express")
    expect(page.locator("#recipient")).to_have_value("王秀英")
    expect(page.locator("#address")).to_have_value(world.c_sales1.address)
    page.set_viewport_size({"width": 1366, "height": 900})
    shoot(page, "order_form_zh_1366.png")
    page.set_viewport_size({"width": 768, "height": 1024})
    shoot(page, "order_form_zh_768.png")
    page.set_viewport_size({"width": 1366, "height": 900})  # back to a desk screen
    page.locator("form.admin-form input[type=submit].btn-primary").scroll_into_view_if_needed()
    save_form(page)
    expect(page.locator(".alert-danger")).to_have_count(0)
    with system():
        order = SalesOrder.get(SalesOrder.customer == world.c_sales1.id)
    assert (order.subtotal, order.total) == (Decimal("594.00"), Decimal("582.00"))
    assert (order.recipient, order.address) == ("王秀英", world.c_sales1.address)
