"""Keyboard and paste in the customer grid (issue 10, item 3; A1), in Chinese: a salesperson
pastes a 5-row × 3-column block copied from a spreadsheet and sees the one refused cell
explained (a mobile that belongs to another salesperson's customer); then edits from the
keyboard: Tab saves and opens the next cell, Enter the same column one row down, Esc cancels."""

from __future__ import annotations

from playwright.sync_api import expect

from models import Customer
from tests.browser.conftest import login, set_language
from tests.browser.journey import shoot
from tests.conftest import World, system

PASTE = """
(text) => {
  const data = new DataTransfer();
  data.setData('text/plain', text);
  const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
  document.activeElement.dispatchEvent(event);
}
"""


def grid_ids(page) -> list[int]:
    """The customers' ids in the order the grid shows them."""
    cells = page.locator("table.model-list tbody tr a.mc-rename")
    return [int(cells.nth(i).get_attribute("data-pk")) for i in range(cells.count())]


def editor(page):
    return page.locator(".popover.show form.editableform input[type=text]")


def test_clerk_pastes_a_block_and_sees_the_refused_cell_explained(live_server, page, world):
    with system():
        for i in range(4):
            World.customer(f"客户{i}", f"1370000000{i}", owner=world.sales1)
    base = live_server
    login(page, base, "sales1")
    set_language(page, "zh_CN")
    page.goto(base + "/admin/customer/")
    ids = grid_ids(page)
    assert len(ids) == 5

    block = "\r\n".join(
        [
            "甲\t138 1111 0001\t男",
            "乙\t13811110002\t女",
            "丙\t13900000002\t女",  # sales2's customer's mobile: refused, naming who has it
            "丁\t13811110004\t男",
            "戊\t13811110005\t女",
        ]
    )
    page.locator("a.mc-rename").first.focus()
    page.evaluate(PASTE, block + "\r\n")
    summary = page.get_by_test_id("paste-summary")
    expect(summary).to_contain_text("已保存 14 格，拒绝 1 格")
    expect(summary).to_contain_text("Sales2")
    refused = page.locator("td.mc-refused")
    expect(refused).to_have_count(1)
    assert "手机号" in refused.get_attribute("title") and "Sales2" in refused.get_attribute("title")
    expect(refused.locator("a")).to_have_attribute("data-pk", str(ids[2]))
    expect(page.locator("td.mc-pasted")).to_have_count(14)
    first = page.locator("table.model-list tbody tr").first
    expect(first.locator("a.mc-name")).to_have_text("甲")
    expect(first.locator("a#phone")).to_have_text("13811110001")  # as saved (normalised)
    expect(first.locator("a#gender")).to_have_text("男")
    shoot(page, "grid_paste_zh.png")
    with system():
        rows = [Customer.get_by_id(pk) for pk in ids]
    assert [r.name for r in rows] == ["甲", "乙", "丙", "丁", "戊"]
    assert [r.gender for r in rows] == ["M", "F", "F", "M", "F"]
    assert rows[2].phone != "13900000002" and rows[4].phone == "13811110005"

    # keyboard: Tab saves the name and opens the mobile; Enter saves it and opens the next
    # row's mobile; Esc there cancels and leaves the stored number
    page.reload()
    page.locator("a.mc-rename").first.click()
    editor(page).fill("甲一")
    editor(page).press("Tab")
    expect(editor(page)).to_have_value("13811110001")
    editor(page).fill("13822220001")
    editor(page).press("Enter")
    expect(editor(page)).to_have_value("13811110002")
    editor(page).fill("13833330002")
    editor(page).press("Escape")
    expect(page.locator(".popover.show form.editableform")).to_have_count(0)
    second = page.locator("table.model-list tbody tr").nth(1)
    expect(second.locator("a#phone")).to_have_text("13811110002")
    with system():
        assert Customer.get_by_id(ids[0]).name == "甲一"
        assert Customer.get_by_id(ids[0]).phone == "13822220001"
        assert Customer.get_by_id(ids[1]).phone == "13811110002"
