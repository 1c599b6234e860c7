"""A foreign-key cell edited from the keyboard with the type-ahead (issue 10, item 3), in
Chinese: in the staff grid the owner moves a store clerk to another store. Enter opens the
cell, typing lists the matching stores from the scoped lookup, the arrow keys move the
highlight, Enter picks, saves and opens the next row's store; Esc cancels there; a text that
names no store is refused in the editor with the field and the text; Tab picks, saves and
opens the row's next editable cell."""

from __future__ import annotations

from playwright.sync_api import expect

from models import Staff
from tests.browser.conftest import login, set_language
from tests.browser.journey import shoot
from tests.conftest import system


def store_cell(page, person):
    return page.locator(f'a[data-role="x-editable-fk"][name="store"][data-pk="{person.id}"]')


def editor(page):
    return page.locator(".popover.show form.editableform input[type=text]")


def choices(page):
    return page.locator(".popover.show .mc-fk-list button")


def test_owner_moves_a_clerk_to_another_store_from_the_keyboard(live_server, page, world):
    login(page, live_server, "owner")
    set_language(page, "zh_CN")
    page.goto(live_server + "/admin/staff/")
    cell = store_cell(page, world.store1)
    expect(cell).to_have_text("南京西路店")

    cell.focus()
    page.keyboard.press("Enter")
    expect(editor(page)).to_have_value("南京西路店")
    expect(editor(page)).to_have_attribute("placeholder", "输入编码或名称搜索")
    editor(page).fill("")
    editor(page).press_sequentially("店")
    expect(choices(page)).to_have_text(["南京西路店", "徐家汇店"])
    expect(page.locator(".popover.show .mc-fk-list button.active")).to_have_text("南京西路店")
    editor(page).press("ArrowDown")
    expect(page.locator(".popover.show .mc-fk-list button.active")).to_have_text("徐家汇店")
    shoot(page, "grid_fk_cell_zh.png")
    editor(page).press("Enter")  # picks, saves, opens the next row's store (store2)

    expect(editor(page)).to_have_value("徐家汇店")
    expect(cell).to_have_text("徐家汇店")
    editor(page).fill("南京")
    expect(choices(page)).to_have_text(["南京西路店"])
    editor(page).press("Escape")  # cancels: store2 keeps its store
    expect(page.locator(".popover.show")).to_have_count(0)
    expect(store_cell(page, world.store2)).to_have_text("徐家汇店")

    # a text that names no store the owner may choose: refused in the editor, nothing saved
    store_cell(page, world.sales1).focus()
    page.keyboard.press("Enter")
    editor(page).fill("静安寺店")
    editor(page).press("Enter")
    error = page.locator(".popover.show .editable-error-block")
    expect(error).to_contain_text("门店")
    expect(error).to_contain_text("静安寺店")

    # Tab picks the highlighted row, saves, and opens the row's next editable cell (启用)
    editor(page).fill("总部")
    expect(choices(page)).to_have_text(["总部仓库"])
    editor(page).press("Tab")
    expect(store_cell(page, world.sales1)).to_have_text("总部仓库")
    expect(page.locator(".popover.show .select2-container")).to_have_count(1)  # yes/no editor
    page.keyboard.press("Escape")  # the yes/no list, then its editor (one Esc may do both)
    page.keyboard.press("Escape")
    expect(page.locator(".popover.show")).to_have_count(0)

    with system():
        assert Staff.get_by_id(world.store1.id).store_id == world.s2.id
        assert Staff.get_by_id(world.store2.id).store_id == world.s2.id
        assert Staff.get_by_id(world.sales1.id).store_id == world.hq.id
        assert Staff.get_by_id(world.sales1.id).active
