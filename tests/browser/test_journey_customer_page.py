"""Customer page journey (客户360, issue 9 item 1; A1, B1), in Chinese: a salesperson opens a
customer's page by clicking the name in the customer grid, sees the page, and starts an order
from it; the order form opens with the customer already chosen, and the saved draft is listed
on the customer's page."""

from __future__ import annotations

from playwright.sync_api import expect

from models import SalesOrder
from tests.browser.conftest import login, set_language
from tests.browser.journey import path_of, save_form, shoot
from tests.conftest import system


def test_salesperson_opens_the_customer_page_from_the_grid_and_starts_an_order(
    live_server, page, world
):
    base, customer = live_server, world.c_sales1
    login(page, base, "sales1")
    set_language(page, "zh_CN")
    page.goto(base + "/admin/customer/")

    # the name is a link to the customer page (its pencil renames; the name does not)
    with page.expect_navigation():
        page.locator("a.mc-name", has_text=customer.name).click()
    assert path_of(page) == "/admin/customer/details/", page.url
    summary = page.get_by_test_id("customer-summary")
    expect(summary).to_contain_text(customer.name)
    expect(summary).to_contain_text("剩余天数")
    expect(page.get_by_test_id("orders")).to_contain_text("暂无订单。")
    shoot(page, "journey_customer_page_zh.png")

    # start an order: the form opens with this customer chosen
    with page.expect_navigation():
        page.get_by_test_id("start-order").click()
    assert path_of(page) == "/admin/sales_order/new/", page.url
    expect(page.locator("input#customer")).to_have_value(str(customer.id))
    expect(page.locator("#s2id_customer, .select2-container").first).to_contain_text(customer.name)
    shoot(page, "journey_customer_page_order_form_zh.png")
    save_form(page)
    expect(page.locator(".alert-danger")).to_have_count(0)
    with system():
        [order] = list(SalesOrder.select().where(SalesOrder.customer == customer.id))
        assert order.created_by_id == world.sales1.id and order.status == "draft"

    # back on the customer page, the draft is listed with its state in Chinese
    page.goto(f"{base}/admin/customer/details/?id={customer.id}")
    row = page.get_by_test_id("orders").locator("tbody tr").first
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text("草稿")
