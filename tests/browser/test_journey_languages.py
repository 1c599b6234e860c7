"""The date picker speaks the page's language (README "Languages"; issue 9, item 3):
Flask-Admin's bootstrap-daterangepicker gets its buttons, day and month names from the catalog."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login, set_language
from tests.browser.journey import shoot


def open_birthday_picker(page, base_url: str):
    page.goto(f"{base_url}/admin/customer/new/")
    page.click("#birthday")
    picker = page.locator(".daterangepicker").first
    expect(picker).to_be_visible()
    return picker


def test_the_date_picker_speaks_chinese_then_english(page, live_server):
    login(page, live_server, "sales1")
    set_language(page, "zh_CN")
    picker = open_birthday_picker(page, live_server)
    text = picker.inner_text()
    weekdays = picker.locator("th").all_inner_texts()
    assert weekdays[-7:] == ["一", "二", "三", "四", "五", "六", "日"], weekdays  # Monday first
    assert "12月" in text and "Dec" not in text, text
    shoot(page, "datepicker_zh.png")
    set_language(page, "en")
    picker = open_birthday_picker(page, live_server)
    weekdays = picker.locator("th").all_inner_texts()
    assert set(weekdays[-7:]) == {"Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"}, weekdays
    assert "Dec" in picker.inner_text() and "月" not in picker.inner_text()
