"""Bulk edit in Chinese (issue 10 item 2; A1): the owner ticks two customers, chooses
"批量修改…", picks the mobile field, is told how many records will change, and sets one
number on both; the first takes it, the second is refused by the duplicate-mobile rule with
its name and the field, and keeps its own number."""

from __future__ import annotations

from playwright.sync_api import expect

from models import Customer
from tests.browser.journey import shoot
from tests.browser.test_journey_search import as_person_in_chinese
from tests.conftest import system

NEW = "13912345678"


def test_the_owner_bulk_edits_two_customers_and_sees_the_refused_one_explained(
    live_server, page, world
):
    base = live_server
    as_person_in_chinese(page, base, "owner")
    page.goto(base + "/admin/customer/?search=1390000000")
    first, second = world.c_sales1, world.c_sales2  # 王秀英, 李建国
    for c in (first, second):
        page.check(f"input.action-checkbox[value='{c.id}']")
    item = page.locator(".dropdown-menu a[onclick*=\"'bulk_edit'\"]")
    menu = page.locator("li.nav-item.dropdown", has=item)
    menu.locator("a.dropdown-toggle").click()
    expect(item).to_have_text("批量修改…")
    with page.expect_navigation():
        item.click()

    editor = page.get_by_test_id("bulk-edit")
    editor.get_by_test_id("bulk-field").select_option(label="手机号")
    with page.expect_navigation():
        editor.get_by_role("button", name="选择").click()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("将修改 2 条记录")
    page.locator("input#phone").fill(NEW)
    shoot(page, "bulk_edit_zh.png")
    with page.expect_navigation():
        page.get_by_test_id("bulk-apply").click()

    expect(page.locator(".alert-success")).to_contain_text("批量修改：2 条中已修改 1 条。")
    refused = page.locator(".alert-danger")
    expect(refused).to_contain_text("李建国")
    expect(refused).to_contain_text("手机号")
    with system():
        phones = {
            c.id: c.phone for c in Customer.select().where(Customer.id << [first.id, second.id])
        }
    assert phones == {first.id: NEW, second.id: "13900000002"}
    shoot(page, "bulk_edit_result_zh.png")
