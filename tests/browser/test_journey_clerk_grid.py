"""The clerk's grid day, the whole "Done when" of issue 10 in one journey (A1, H): a store
clerk, in Chinese, saves her view of the customer grid, then copies a block of 3 columns × 5
rows (name, mobile, gender: the grid's first editable columns) from a spreadsheet to the real
clipboard and presses Ctrl+V in the grid; every cell goes
through the rules, one is refused (a mobile that is another salesperson's customer's) and the
grid explains it on that cell and in the summary."""

from __future__ import annotations

from playwright.sync_api import expect

from models import Customer
from tests.browser.journey import shoot
from tests.browser.test_grid_keys import grid_ids
from tests.browser.test_journey_saved_views import save_view
from tests.browser.test_journey_search import as_person_in_chinese
from tests.conftest import World, system

BLOCK = "\n".join(
    [
        "甲\t13811110001\t男",
        "乙\t13900000002\t女",  # sales2's customer's mobile: refused
        "丙\t13811110003\t女",
        "丁\t138 1111 0004\t男",
        "戊\t13811110005\t女",
    ]
)


def test_a_clerk_saves_a_view_and_pastes_a_block_from_the_clipboard(live_server, page, world):
    with system():
        for i in (1, 2, 3, 4):
            World.customer(f"门店客户{i}", f"1370000000{i}", owner=world.store1, store=world.s1)
    base = live_server
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    as_person_in_chinese(page, base, "store1")
    page.goto(base + "/admin/customer/")

    save_view(page, "我的门店")

    ids = grid_ids(page)
    assert len(ids) == 5
    page.evaluate("text => navigator.clipboard.writeText(text)", BLOCK)
    page.locator("a.mc-rename").first.focus()
    page.keyboard.press("Control+V")

    summary = page.get_by_test_id("paste-summary")
    expect(summary).to_contain_text("已保存 14 格，拒绝 1 格")
    refused = page.locator("td.mc-refused")
    expect(refused).to_have_count(1)
    assert "手机号" in refused.get_attribute("title") and "Sales2" in refused.get_attribute("title")
    expect(refused.locator("a")).to_have_attribute("data-pk", str(ids[1]))
    shoot(page, "clerk_paste_clipboard_zh.png")
    with system():
        rows = [Customer.get_by_id(pk) for pk in ids]
    assert [r.name for r in rows] == ["甲", "乙", "丙", "丁", "戊"]
    assert [r.gender for r in rows] == ["M", "F", "F", "M", "F"]
    assert rows[1].phone != "13900000002" and rows[3].phone == "13811110004"  # normalised

    page.goto(base + "/admin/customer/?search=甲")  # elsewhere; the saved view brings it back
    page.get_by_test_id("views-menu").locator("summary").click()
    with page.expect_navigation():
        page.get_by_test_id("view-我的门店").get_by_role("link", name="我的门店").click()
    expect(page.locator("input[type=text][name=search]")).to_have_value("")
    assert grid_ids(page) == ids
