"""Screenshots of a running MingCRM (e.g. `make run`) through the Debian Chromium.

    python -m tests.browser.shoot BASE_URL USERNAME PASSWORD OUT_DIR PATH [PATH ...]

Logs in once, then saves a full-page PNG per path into OUT_DIR, named after the path
("/admin/customer/?page=2" -> admin_customer_page_2.png, "/" -> root.png); `--width 768`
shoots a tablet-wide window (default 1366).
Never downloads a browser: it launches /usr/bin/chromium (or `chromium` on PATH).
The browser helpers here are shared with the browser tests (tests/browser/conftest.py).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1366, "height": 900}


def chromium_path() -> str | None:
    """The Debian Chromium executable, or None when it is not installed."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).is_file() else None


def launch(playwright):
    """Launch the Debian Chromium headless (never a Playwright-downloaded browser)."""
    path = chromium_path()
    if path is None:
        raise FileNotFoundError("Debian chromium not found (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


def login(page, base_url: str, username: str, password: str):
    """Log in through the form; raise AssertionError if the login page is still shown."""
    page.goto(base_url.rstrip("/") + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    if urlparse(page.url).path == "/login":
        alert = page.locator(".alert")
        message = alert.first.inner_text() if alert.count() else "(no message)"
        raise AssertionError(f"login as {username!r} failed: {message}")
    return page


def logout(page):
    """Press the navbar's log-out button and wait for the login page."""
    with page.expect_navigation():
        page.click("[data-testid=logout]")
    return page


def set_language(page, value: str):
    """Choose a language in the navbar select (it submits itself); no-op if already chosen."""
    select = page.locator("[data-testid=locale]")
    if select.input_value() != value:
        if not select.is_visible():  # a narrow window folds the navbar behind its toggle
            page.click(".navbar-toggler")
            select.wait_for(state="visible")
        with page.expect_navigation():
            select.select_option(value)
    return page


def file_name(path: str) -> str:
    """A file name for a URL path: '/admin/customer/?page=2' -> 'admin_customer_page_2.png'."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")
    return f"{stem or 'root'}.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.shoot", description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("paths", nargs="+", metavar="path")
    parser.add_argument(
        "--lang", choices=["zh_CN", "en"], help="switch the person's language first (it is saved)"
    )
    parser.add_argument(
        "--width", type=int, default=VIEWPORT["width"], help="window width in px (desk: 1024)"
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    if chromium_path() is None:
        print("Debian chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    base = args.base_url.rstrip("/")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            viewport = {**VIEWPORT, "width": args.width}
            context = browser.new_context(locale="en-US", viewport=viewport)
            page = context.new_page()
            try:
                login(page, base, args.username, args.password)
            except AssertionError as exc:
                print(exc, file=sys.stderr)
                return 1
            if args.lang:
                set_language(page, args.lang)
            for path in args.paths:
                response = page.goto(base + "/" + path.lstrip("/"))
                out = args.out_dir / file_name(path)
                page.screenshot(path=str(out), full_page=True)
                status = response.status if response else "?"
                print(f"{out}  ({status} {page.url})")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
