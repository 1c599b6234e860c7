"""Search journeys in Chinese (issue 9 item 2; A1, A2, B1): a salesperson finds a customer by the
last 4 digits of the mobile number (尾号) and opens the details; a colleague's customer with
those digits stays hidden. A supervisor finds an order by typing its daily sequence, 0008."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login, logout, set_language
from tests.browser.journey import path_of, shoot
from tests.conftest import system
from tests.test_sales import new_order


def as_person_in_chinese(page, base: str, username: str) -> None:
    if page.get_by_test_id("logout").count():
        logout(page)
    login(page, base, username)
    set_language(page, "zh_CN")


def search(page, term: str) -> None:
    box = page.locator("input[name=search]")
    box.fill(term)
    with page.expect_navigation():
        box.press("Enter")


def rows(page):
    return page.locator("table.model-list tbody tr")


def test_a_salesperson_finds_a_customer_by_the_last_4_digits(live_server, page, world):
    base = live_server
    with system():  # the same last 4 digits in a colleague's customer's number
        world.customer("孙佳怡", "13811110001", owner=world.sales2)
    as_person_in_chinese(page, base, "sales1")
    page.goto(base + "/admin/customer/")
    expect(page.locator("input[name=search]")).to_have_attribute(
        "placeholder", "手机号或尾号 / 姓名 / 微信号"
    )
    search(page, "0001")
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("王秀英")
    expect(page.locator("table.model-list")).not_to_contain_text("孙佳怡")
    shoot(page, "search_customer_last4_zh.png")
    with page.expect_navigation():
        rows(page).first.locator("a[href*='/admin/customer/details/']").first.click()
    assert path_of(page) == "/admin/customer/details/", page.url
    expect(page.locator("body")).to_contain_text("13900000001")


def test_a_supervisor_finds_an_order_by_0008(live_server, page, world):
    base = live_server
    orders = [new_order(world) for _ in range(9)]  # SO-<today>-0001 … 0009
    wanted = orders[7].number
    assert wanted.endswith("-0008")
    as_person_in_chinese(page, base, "supervisor")
    page.goto(base + "/admin/sales_order/")
    search(page, "0008")
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text(wanted)
    shoot(page, "search_order_0008_zh.png")
    with page.expect_navigation():
        rows(page).first.locator("a[href*='/admin/sales_order/details/']").first.click()
    expect(page.locator("body")).to_contain_text(wanted)
