"""Browser fixtures: the app served on a real port, the Debian Chromium through Playwright.

Playwright's sync API runs its own event loop in the test thread; the app is served by a
werkzeug server in a daemon thread. That is safe: the app keeps the acting user in
contextvars and opens the database per request (SQLite file in tmp, or pooled PostgreSQL
connections per thread). No browser is ever downloaded: the Debian `chromium` is launched.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import shoot
from tests.conftest import PASSWORD

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts"


def pytest_collection_modifyitems(items):
    """Mark every test under tests/browser with `browser` (select with -m browser)."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (item.rep_setup / rep_call / rep_teardown)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class QuietHandler(WSGIRequestHandler):
    """No access log per request (errors are still logged)."""

    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture
def live_server(app, world):
    """The app served on 127.0.0.1 at a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    if shoot.chromium_path() is None:
        reason = "Debian chromium not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("MINGCRM_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}; required because MINGCRM_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = shoot.launch(p)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    """A fresh context and page per test; a failing test leaves tests/artifacts/<name>.png."""
    context = browser.new_context(locale="en-US", viewport=shoot.VIEWPORT)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", request.node.name).strip("_") + ".png")
        try:
            tab.screenshot(path=str(out), full_page=True)
            print(f"\nscreenshot of the failing page: {out}")
        except Exception as exc:  # the page may be gone; the test failure is what matters
            print(f"\nno screenshot for {request.node.name}: {exc}")
    context.close()


def login(page, base_url: str, username: str, password: str = PASSWORD):
    """Log in through the login form and land on the home page."""
    return shoot.login(page, base_url, username, password)


def logout(page):
    """Log out with the navbar button and land on the login page."""
    return shoot.logout(page)


set_language = shoot.set_language
