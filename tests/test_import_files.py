"""Imports accept what Chinese offices send (issue 9, item 5; A1 customers, B sales orders):
GBK CSV, XLSX, headers and choice values in either language, a column-mapping step, a file of
the rows with their errors that can be fixed and uploaded again, and a template per grid."""

from __future__ import annotations

import csv
import io
import re

import openpyxl

from admin_views.import_files import decode_csv
from models import Customer, SalesOrder, Staff
from tests.conftest import system


def send(client, url, data: bytes, name="data.csv", dry_run=False):
    form = {"file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "1"
    return client.post(url, form, content_type="multipart/form-data").get_data(as_text=True)


def token_of(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def customers(prefix="1380013"):
    with system():
        return {
            c.name: (c.gender, c.level)
            for c in Customer.select().where(Customer.phone.startswith(prefix))
        }


CHINESE = (
    "名称,手机号,性别,地址,等级\n"
    "钱多多,13800138000,女,上海市,普通\n"
    "孙小美,13800138001,男,上海市,普通\n"
)


def test_gbk_csv_with_chinese_labels_and_choice_names_imports(as_user, world):
    page = send(as_user("sales1"), "/admin/customer/import/", CHINESE.encode("gbk"))
    assert 'data-testid="import-ok"' in page, page
    assert customers() == {"钱多多": ("F", "normal"), "孙小美": ("M", "normal")}


def test_english_choice_names_keys_and_utf8_without_bom(as_user, world):
    text = (
        "Name,Mobile,Gender,Address,Level\nA,13800138000,Female,SH,VIP\nB,13800138001,M,SH,gold\n"
    )
    page = send(as_user("owner"), "/admin/customer/import/", text.encode("utf-8"))
    assert 'data-testid="import-ok"' in page  # (the owner may set levels)
    assert customers() == {"A": ("F", "vip"), "B": ("M", "gold")}


def test_gb18030_and_utf8_bom_decode():
    text = "名称,性别\n㐀小明,女\n"  # 㐀 is outside GBK: only GB18030 has it
    assert decode_csv(text.encode("gb18030")) == text
    assert decode_csv(("\ufeff" + text).encode("utf-8")) == text
    assert decode_csv(text.encode("utf-16")) == text


def test_unknown_choice_names_the_row_field_and_allowed_values(as_user, world):
    text = "名称,手机号,性别,地址\n钱多多,13800138000,未知,上海市\n"
    page = send(as_user("sales1"), "/admin/customer/import/", text.encode("gbk"))
    assert "第 2 行" in page and "性别" in page and "女, 男" in page
    assert customers() == {}


def test_sales_order_delivery_takes_either_language(as_user, world):
    text = "客户,交货方式\n13900000001,门店自提\n13900000001,Pickup\n"
    page = send(as_user("sales1"), "/admin/sales_order/import/", text.encode("gb18030"))
    assert 'data-testid="import-ok"' in page
    with system():
        assert [o.delivery for o in SalesOrder.select()] == ["pickup", "pickup"]


def test_xlsx_with_numbers_for_phones_imports(as_user, world):
    book = openpyxl.Workbook()
    book.active.append(["名称", "手机号", "性别", "地址"])
    book.active.append(["钱多多", 13800138000, "女", "上海市"])
    out = io.BytesIO()
    book.save(out)
    page = send(as_user("sales1"), "/admin/customer/import/", out.getvalue(), "客户.xlsx")
    assert 'data-testid="import-ok"' in page
    assert customers() == {"钱多多": ("F", "normal")}


def test_failed_rows_file_round_trips(as_user, world):
    c = as_user("sales1")
    bad = CHINESE + "缺地址,13800138009,女,,普通\n"
    page = send(c, "/admin/customer/import/", bad.encode("gbk"))
    assert "第 4 行" in page and customers() == {}
    link = re.search(r'href="([^"]+)" data-testid="import-failed-file"', page).group(1)
    response = c.get(link.replace("&amp;", "&"))
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["名称", "手机号", "性别", "地址", "等级", "错误"]
    assert [r[0] for r in rows[1:]] == ["钱多多", "孙小美", "缺地址"]  # all rows: none was saved
    assert rows[1][5] == "" and "地址" in rows[3][5]
    rows[3][3] = "杭州市"  # fixed in the spreadsheet, uploaded again as it is
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    page = send(c, "/admin/customer/import/", ("\ufeff" + out.getvalue()).encode("utf-8"))
    assert 'data-testid="import-ok"' in page, page
    assert set(customers()) == {"钱多多", "孙小美", "缺地址"}
    # the file is the uploader's: another person gets the "expired" page, not the rows
    other = as_user("sales2").get(link.replace("&amp;", "&"))
    assert other.mimetype == "text/html" and "缺地址" not in other.get_data(as_text=True)


def test_mapping_step_for_unknown_headers(as_user, world):
    c = as_user("sales1")
    text = "客户姓名,电话,性别,地址,备用\n钱多多,13800138000,女,上海市,x\n"
    page = send(c, "/admin/customer/import/", text.encode("gbk"), dry_run=True)
    assert 'data-testid="import-mapping"' in page and customers() == {}
    assert re.search(r'<option value="gender" selected>性别</option>', page)  # known: preselected
    assert '<option value="name">名称</option>' in page  # selects offer the importable fields
    token = token_of(page)
    form = {"token": token, "mapped": "1", "dry_run": "1"}
    form.update(col_0="name", col_1="phone", col_2="gender", col_3="address", col_4="")
    # CSRF-protected, and the upload belongs to the person who sent it
    assert c.post("/admin/customer/import/", form, csrf=False).status_code == 400
    other = as_user("sales2").post("/admin/customer/import/", form).get_data(as_text=True)
    assert "钱多多" not in other and "import-ok" not in other
    twice = c.post("/admin/customer/import/", {**form, "col_4": "name"}).get_data(as_text=True)
    assert 'data-testid="import-mapping"' in twice  # two columns on one field: asked again
    page = c.post("/admin/customer/import/", form).get_data(as_text=True)
    assert 'data-testid="import-ok"' in page and customers() == {}  # a dry run
    now = re.search(r'data-testid="import-now">(.*?)</form>', page, re.S).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', now))
    page = c.post("/admin/customer/import/", fields).get_data(as_text=True)
    assert 'data-testid="import-ok"' in page and customers() == {"钱多多": ("F", "normal")}


def test_template_names_the_columns_in_the_persons_language(as_user, world):
    c = as_user("sales1")
    data = c.get("/admin/customer/import/template/").data
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == ["名称", "手机号", "性别", "生日", "微信", "地址", "等级", "备注"]
    filled = data + "钱多多,13800138000,女,,,上海市,,\n".encode()
    assert 'data-testid="import-ok"' in send(c, "/admin/customer/import/", filled)
    assert customers() == {"钱多多": ("F", "normal")}
    with system():
        Staff.update(locale="en").where(Staff.id == world.owner.id).execute()
    english = as_user("owner").get("/admin/product/import/template/").data.decode("utf-8-sig")
    assert english.splitlines()[0] == "SKU,Name,Specification,Unit,Price,Active"
    assert as_user("sales1").get("/admin/product/import/template/").status_code == 403
