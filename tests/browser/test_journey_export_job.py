"""Export job journey (issue 10 item 5): the owner, in the Chinese UI, exports a grid larger
than `[exports] job_rows` from its Export menu, prepares the file as a job, sees the progress
page and downloads the file from it and from the inbox."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, set_language


@pytest.fixture
def overrides(overrides, tmp_path):
    return {**overrides, "exports": {"job_rows": 2, "folder": str(tmp_path / "exports")}}


def test_owner_prepares_a_large_export_and_downloads_it(live_server, page, world):
    login(page, live_server, "owner")
    set_language(page, "zh_CN")
    page.goto(live_server + "/admin/customer/")
    page.locator("a.dropdown-toggle", has_text="导出").click()
    page.locator("a.dropdown-item", has_text="导出 CSV").click()
    expect(page.get_by_test_id("export-job")).to_contain_text("超过 2 行")
    page.get_by_test_id("export-start").click()

    run = page.get_by_test_id("export-run")
    expect(run).to_have_attribute("data-state", "done")  # an immediate queue in tests
    expect(page.get_by_test_id("export-counts")).to_have_text("已写入 4 / 4 行。")
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    names = {r["名称"] for r in csv.DictReader(io.StringIO(text))}
    assert names == {"王秀英", "李建国", "刘海燕", "陈志强"}  # the pool has its own grid

    page.goto(live_server + "/admin/notification/")
    link = page.locator("table.model-list a", has_text="你导出的客户已准备好")
    expect(link).to_have_count(1)
    with page.expect_download() as again:
        link.click()
    assert Path(again.value.path()).read_bytes() == Path(info.value.path()).read_bytes()
