"""Export journey (issue 9, item 4; A1 customers): the owner, in the Chinese UI, exports the
customer grid from its Export menu as CSV and as XLSX, and reads the files back: Chinese
headers and labels, numbers as numbers, yes/no as 是/否, local minutes, no markup."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import login, set_language
from tests.conftest import system


def download(page, label: str) -> bytes:
    """Open the grid's Export menu and download one format, as a person does."""
    page.locator("a.dropdown-toggle", has_text="导出").click()
    with page.expect_download() as info:
        page.locator("a.dropdown-item", has_text=label).click()
    return Path(info.value.path()).read_bytes()


def test_owner_exports_customers_in_chinese(live_server, page, world):
    with system():  # a reclaim clock, so that "days left" has a value
        world.c_sales1.clock_start = datetime.utcnow() - timedelta(days=3)
        world.c_sales1.save()
    login(page, live_server, "owner")
    set_language(page, "zh_CN")
    page.goto(live_server + "/admin/customer/")
    expect(page.locator("table.model-list")).to_contain_text("王秀英")

    data = download(page, "导出 CSV")
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert not re.search(r"<[a-z/]|&[a-z]+;|\b(True|False)\b|badge", text)
    rows = {r["名称"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) >= {"王秀英", "李建国", "刘海燕", "陈志强"}
    wang = rows["王秀英"]
    assert wang["性别"] == "女" and wang["等级"] == "普通" and wang["资料不全"] in ("是", "否")
    assert wang["剩余天数"] == "27"  # a number, not the grid's "27 天" badge
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", wang["创建时间"])

    sheet = openpyxl.load_workbook(io.BytesIO(download(page, "导出 XLSX"))).active
    header = [c.value for c in sheet[1]]
    values = {
        row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)
    }
    assert values["王秀英"]["剩余天数"] == 27 and values["王秀英"]["性别"] == "女"
    assert isinstance(values["王秀英"]["创建时间"], datetime)
