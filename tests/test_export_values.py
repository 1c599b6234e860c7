"""Exports a spreadsheet can use (issue 9, item 4; B, A3 exports): plain values in the person's
language, numbers as numbers, 是/否 or Yes/No, local times to the minute, never HTML, in every
grid that can export."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import openpyxl

from admin_views.export import ExportMixin
from models import SalesOrder, Staff
from tests.conftest import system
from tests.test_sales import at_state, new_order, reload, stock

MARKUP = re.compile(r"<[a-z/][^>]*>|&[a-z]+;|&#\d+;", re.I)
MINUTE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def sheet_rows(data: bytes) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def big_order(world):
    stock(world, 1000)
    order = new_order(world, qty=500)  # 500 × ¥198.00 = ¥99,000.00 in the grid
    with system():
        SalesOrder.update(submitted_at=datetime(2026, 3, 1, 16, 30, 45, 123456)).where(
            SalesOrder.id == order.id
        ).execute()
    return reload(order)


def test_csv_holds_numbers_labels_yes_no_and_local_minutes(as_user, world):
    order = big_order(world)
    rows = csv_rows(as_user("owner").get("/admin/sales_order/export/csv/").data)
    row = next(r for r in rows if r["订单号"] == order.number)
    assert row["合计"] == "99000.00"  # no ¥, no thousands separator
    assert row["优惠"] == "0.00"
    assert row["状态"] == "草稿"  # the configured state label, not "draft" nor a badge
    assert row["交货方式"] == "门店自提"
    assert row["超额优惠"] == "否"
    assert row["提交时间"] == "2026-03-02 00:30"  # UTC 16:30:45.123456 → Shanghai, to the minute


def test_english_reader_gets_english_labels_and_yes_no(as_user, world):
    with system():
        Staff.update(locale="en").where(Staff.id == world.owner.id).execute()
    order = big_order(world)
    rows = csv_rows(as_user("owner").get("/admin/sales_order/export/csv/").data)
    row = next(r for r in rows if r["Order no."] == order.number)
    assert (row["Status"], row["Delivery"], row["Discount over limit"]) == ("Draft", "Pickup", "No")
    assert row["Total"] == "99000.00"


def test_xlsx_numeric_cells_are_numbers_and_times_are_local_datetimes(as_user, world):
    order = big_order(world)
    rows = sheet_rows(as_user("owner").get("/admin/sales_order/export/xlsx/").data)
    row = next(r for r in rows if r["订单号"] == order.number)
    assert isinstance(row["合计"], (int, float)) and row["合计"] == 99000
    assert row["提交时间"] == datetime(2026, 3, 2, 0, 30)
    assert row["状态"] == "草稿" and row["超额优惠"] == "否"


def test_xlsx_keeps_text_that_looks_like_a_formula_inert(as_user, world):
    with system():
        world.c_sales1.notes = "-1+2"
        world.c_sales1.name = "+王秀英"
        world.c_sales1.save()
    response = as_user("sales1").get("/admin/customer/export/xlsx/")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert "'+王秀英" in [c.value for c in sheet["A"]]


def test_customer_export_has_days_left_as_a_number(as_user, world):
    with system():
        world.c_sales1.clock_start = datetime.utcnow() - timedelta(days=3)
        world.c_sales1.save()
    rows = sheet_rows(as_user("sales1").get("/admin/customer/export/xlsx/").data)
    assert rows and all(isinstance(r["剩余天数"], int) for r in rows)
    assert {r["性别"] for r in rows} == {"女"}
    assert {r["资料不全"] for r in rows} <= {"是", "否"}


def exportable_grids(app):
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if isinstance(v, ExportMixin) and v.export_types]


def test_no_grid_exports_markup(app, as_user, world):
    """Every registered grid that can export, in both formats, with rows from a whole sale."""
    at_state(world, "shipped")  # orders, lines, stock moves, audit rows, messages, tasks
    owner = as_user("owner")
    exported = 0
    for view in exportable_grids(app):
        for fmt in view.export_types:
            response = owner.get(f"/admin/{view.endpoint}/export/{fmt}/")
            if response.status_code == 302:  # the owner may not export this grid
                continue
            assert response.status_code == 200, view.endpoint
            if fmt == "csv":
                text = response.data.decode("utf-8-sig")
                rows = list(csv.reader(io.StringIO(text)))[1:]
            else:
                rows = [list(r.values()) for r in sheet_rows(response.data)]
                text = "\n".join(str(v) for row in rows for v in row if v is not None)
            assert not MARKUP.search(text), (view.endpoint, MARKUP.search(text))
            assert not re.search(r"\b(True|False|None)\b", text), view.endpoint
            exported += bool(rows)
    assert exported >= 16  # most grids had rows, in both formats


def test_created_times_are_local_minutes_not_utc(as_user, world):
    with system():
        created = type(world.c_sales1).get_by_id(world.c_sales1.id).created_at
    rows = csv_rows(as_user("sales1").get("/admin/customer/export/csv/").data)
    shown = next(r for r in rows if r["名称"] == "王秀英")["创建时间"]
    assert MINUTE.match(shown)
    assert shown == (created + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
