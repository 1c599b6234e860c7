"""Steps shared by the browser journeys: act as a person, save a form, take a screenshot."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, login, logout, set_language


def path_of(page) -> str:
    return urlparse(page.url).path


def act_as(page, base_url: str, username: str) -> None:
    """Log out whoever is in, log `username` in, and switch the UI to English."""
    if page.get_by_test_id("logout").count():
        logout(page)
    login(page, base_url, username)
    set_language(page, "en")
    expect(page.get_by_test_id("whoami")).to_contain_text(username.title())


def save_form(page) -> None:
    """Press the form's primary Save button and wait for the response page."""
    with page.expect_navigation():
        page.click("form.admin-form input[type=submit].btn-primary")


def shoot(page, name: str) -> str:
    """A full-page screenshot into tests/artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / name
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 0
    return str(out)
