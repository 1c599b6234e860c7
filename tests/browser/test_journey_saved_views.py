"""Saved views in Chinese (issue 10 item 1; H): a store clerk picks and orders the columns of the
customer grid with the column chooser, saves the page as a view, and reopens it later."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.journey import shoot
from tests.browser.test_journey_search import as_person_in_chinese


def headers(page) -> list[str]:
    return [
        c.split("col-")[1]
        for c in page.locator("table.model-list thead th.column-header").evaluate_all(
            "ths => ths.map(th => th.className)"
        )
    ]


def save_view(page, name: str) -> None:
    """Save the grid as it stands under `name`, from the Views menu (zh_CN)."""
    page.get_by_test_id("views-menu").locator("summary").click()
    form = page.get_by_test_id("save-view")
    form.locator("input[name=name]").fill(name)
    with page.expect_navigation():
        form.get_by_role("button", name="保存为视图").click()
    expect(page.locator(".alert-success")).to_contain_text("视图已保存。")


def test_a_clerk_saves_a_view_and_reopens_it(live_server, page, world):
    base = live_server
    as_person_in_chinese(page, base, "store1")
    page.goto(base + "/admin/customer/?search=刘")
    page.get_by_test_id("columns-menu").locator("summary").click()
    chooser = page.get_by_test_id("column-chooser")
    for box in chooser.locator("input[name=col]").all():
        if box.get_attribute("value") not in ("name", "phone"):
            box.uncheck()
    phone = chooser.locator("li", has=page.locator("input[value=phone]"))
    while chooser.locator("li").first.locator("input").get_attribute("value") != "phone":
        phone.locator(".mc-up").click()
    with page.expect_navigation():
        chooser.get_by_role("button", name="确定").click()
    assert headers(page) == ["phone", "name"]

    save_view(page, "我的门店客户")

    page.goto(base + "/admin/customer/?search=陈")  # elsewhere, all columns
    assert len(headers(page)) > 2
    page.get_by_test_id("views-menu").locator("summary").click()
    with page.expect_navigation():
        page.get_by_test_id("view-我的门店客户").get_by_role("link", name="我的门店客户").click()
    assert headers(page) == ["phone", "name"]
    expect(page.locator("input[type=text][name=search]")).to_have_value("刘")
    expect(page.get_by_test_id("views-menu").locator("summary")).to_contain_text("我的门店客户")
    shoot(page, "saved_view_zh.png")
