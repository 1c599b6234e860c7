"""Exports (issue 2 §8): streamed CSV with a BOM, formula-safe cells, XLSX escaped, and exactly
the rows the person may see with the current search applied."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from admin_views.export import safe_cell
from tests.conftest import World, system


@pytest.mark.parametrize(
    "raw,out",
    [
        ("=1+1", "'=1+1"),
        ("+86 139", "'+86 139"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("王秀英", "王秀英"),
        ("-5.00", "-5.00"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_cell(raw, out):
    assert safe_cell(raw) == out


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_export_is_formula_safe_and_keeps_chinese(as_user, world):
    with system():
        World.customer("=1+1", "13611112222", owner=world.sales1, notes="@cmd")
    data = as_user("sales1").get("/admin/customer/export/csv/").data
    rows = _rows(data)
    names = [r[0] for r in rows[1:]]
    assert "'=1+1" in names and "王秀英" in names
    assert "=1+1" not in names


def test_csv_export_applies_search_and_scope(as_user, world):
    rows = _rows(as_user("sales1").get("/admin/customer/export/csv/?search=13900000001").data)
    assert [r[1] for r in rows[1:]] == ["13900000001"]
    all_rows = _rows(as_user("sales1").get("/admin/customer/export/csv/").data)
    phones = {r[1] for r in all_rows[1:]}
    assert phones == {world.c_sales1.phone}
    pool = _rows(as_user("sales1").get("/admin/pool/export/csv/").data)
    assert {r[1] for r in pool[1:]} == {"139****0003"}  # pool numbers are masked (issue 7)


def test_xlsx_export_is_escaped(as_user, world):
    with system():
        World.customer('=HYPERLINK("http://x")', "13611113333", owner=world.sales1)
    response = as_user("sales1").get("/admin/customer/export/xlsx/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [c.value for c in sheet["A"]]
    assert '\'=HYPERLINK("http://x")' in values
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert "王秀英" in values


def test_export_needs_the_export_permission(as_user, world):
    # config: finance may view customers but not export them
    response = as_user("finance").get("/admin/customer/export/csv/")
    assert response.status_code == 302
    assert b"13900000001" not in response.data
