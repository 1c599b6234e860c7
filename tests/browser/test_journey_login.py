"""First journey: each role logs in, sees its home page in en and zh_CN, logs out."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, login, logout, set_language

# username -> (role label in English, in Chinese), as config.toml [roles] has them
PEOPLE = {
    "owner": ("Owner", "老板 / 管理员"),
    "sales1": ("Salesperson", "业务员"),
    "sales2": ("Salesperson", "业务员"),
    "supervisor": ("Sales supervisor", "销售主管"),
    "finance": ("Finance", "财务"),
    "warehouse": ("Warehouse", "仓库主管"),
    "store1": ("Store staff", "专卖店店员"),
    "store2": ("Store staff", "专卖店店员"),
    "marketing": ("Marketing", "营销部门"),
    "reception": ("Receptionist", "活动接待"),
}


def path_of(page) -> str:
    return urlparse(page.url).path


def assert_login_page(page) -> None:
    assert path_of(page) == "/login", page.url
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.locator("input[name=password]")).to_be_visible()


@pytest.mark.parametrize("username", list(PEOPLE))
def test_each_role_logs_in_switches_language_and_logs_out(live_server, page, username):
    english, chinese = PEOPLE[username]
    name = username.title()  # World display names

    login(page, live_server, username)
    assert path_of(page) == "/admin/", page.url
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text(name)
    expect(page.locator("h2")).to_contain_text(name)

    set_language(page, "en")
    expect(whoami).to_contain_text(f"({english})")
    expect(whoami.locator("small")).to_have_text(f"({english})")
    expect(page.locator(".badge", has_text=english).first).to_be_visible()
    expect(page.get_by_test_id("locale")).to_have_value("en")

    set_language(page, "zh_CN")
    expect(whoami).to_contain_text(f"({chinese})")
    expect(whoami.locator("small")).to_have_text(f"({chinese})")
    expect(page.locator(".badge", has_text=chinese).first).to_be_visible()
    expect(page.get_by_test_id("locale")).to_have_value("zh_CN")
    assert path_of(page) == "/admin/", page.url

    cards = page.get_by_test_id("card")
    if cards.count():
        link = cards.first.locator("a.h6")
        grid_path = urlparse(link.get_attribute("href")).path
        with page.expect_navigation():
            link.click()
        assert path_of(page) == grid_path, page.url
        expect(page.locator("table.model-list, [data-testid=empty]").first).to_be_visible()

    logout(page)
    assert_login_page(page)

    page.goto(live_server + "/admin/")
    assert_login_page(page)


def test_wrong_password_shows_an_error_and_stays_on_login(live_server, page):
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "sales1")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert_login_page(page)
    alert = page.locator(".alert-danger")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile("Wrong username or password|用户名或密码错误"))
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    page.goto(live_server + "/admin/")
    assert_login_page(page)


def test_screenshot_of_owner_home_in_chinese(live_server, page):
    login(page, live_server, "owner")
    set_language(page, "zh_CN")
    expect(page.get_by_test_id("whoami")).to_contain_text("老板 / 管理员")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "home_owner_zh.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 0
