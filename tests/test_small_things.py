"""Small things that cost trust (issue 9 item 10): a favicon, a count before "All matching",
the login page's language kept after login, every form error at once, voucher file names and
dates, a sales slip nobody takes for a tax invoice, password strength on the server."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import printouts
import rules
from models import SalesOrder, Staff
from tests.conftest import PASSWORD, Client, system
from tests.test_sales import new_order, step
from tests.test_vouchers import make_order, pdf_text, render, shop  # noqa: F401 (fixture)


def test_a_favicon_is_served_and_referenced(client, as_user, world):
    icon = client.get("/favicon.ico")  # browsers ask before any login
    assert icon.status_code == 200 and icon.get_data()[:4] == b"\x00\x00\x01\x00"
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.ico"' in as_user("sales1").get("/admin/").get_data(
        as_text=True
    )


def count_of(client, query=""):
    response = client.get(f"/admin/sales_order/approve_matching/count/?step=verified{query}")
    return response.status_code, response.get_data(as_text=True)


def test_all_matching_says_how_many_records_it_will_touch(as_user, world):
    orders = [step(world.sales1, new_order(world)) for _ in range(3)]
    new_order(world)  # a draft: matches no filter of the supervisor's step
    supervisor = as_user("supervisor")
    page = supervisor.get("/admin/sales_order/").get_data(as_text=True)
    assert "approve_matching/count/?step=verified" in page
    status, body = count_of(supervisor)
    found = json.loads(body)
    assert status == 200 and (found["ready"], found["matching"]) == (3, 4)
    assert "3" in found["message"] and "4" in found["message"]
    status, body = count_of(supervisor, f"&search={orders[0].number}")
    assert (json.loads(body)["ready"], json.loads(body)["matching"]) == (1, 1)
    status, body = count_of(as_user("sales1"))  # not their step
    assert status in (302, 403) and "ready" not in body
    with system():
        assert SalesOrder.select().where(SalesOrder.status == "verified").count() == 0


def test_the_language_chosen_on_the_login_page_is_kept(app, world):
    c = Client(app.test_client())
    c.post("/locale", {"locale": "zh_CN", "next": "/login"})
    assert "登录" in c.get("/login").get_data(as_text=True)
    c._token = None
    assert c.login("sales1").status_code == 302
    assert "退出登录" in c.get("/admin/").get_data(as_text=True)
    with system():
        assert Staff.get(Staff.username == "sales1").locale == "zh_CN"


def test_a_form_reports_every_error_at_once(as_user, world):
    """A required field left empty (WTForms) and a rule's refusal (negative discount) show
    together on the first save, each under its field."""
    form = {"customer": "", "delivery": "pickup", "payment_method": "cash", "discount": "-5"}
    html = as_user("sales1").post("/admin/sales_order/new/", form).get_data(as_text=True)
    assert re.search("This field is required|必填|Choose from the list|请从列表中选择", html)
    assert re.search("The discount cannot be negative|优惠不能为负", html)
    with system():
        assert not SalesOrder.select().exists()


def test_a_voucher_file_is_named_by_its_number_and_the_local_date(as_user, world):
    order = step(world.sales1, new_order(world))
    before = datetime.now(ZoneInfo(rules.settings().app.timezone)).strftime("%Y%m%d")
    response = as_user("sales1").get(f"/admin/sales_order/print/sales_invoice/?ids={order.id}")
    after = datetime.now(ZoneInfo(rules.settings().app.timezone)).strftime("%Y%m%d")
    name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)
    number = order.number.replace("SO-", "FP-")
    assert name in (f"{number}_{before}.pdf", f"{number}_{after}.pdf")
    with system():
        assert printouts.file_name("sales_invoice", [order, order]).startswith(f"{number}+1_")


def test_vouchers_write_dates_one_way_and_the_slip_is_no_tax_invoice(shop):  # noqa: F811
    order = make_order(shop, to="paid")
    with system():
        html = printouts.render_html("payment_receipt", [order])
        local = printouts._when(order.paid_at, printouts.DATE)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", local) and local in html
    assert "年" not in html.split("收款日期")[1][:80]
    slip = pdf_text(render("sales_invoice", order))
    assert "销售单" in slip and "NOT A TAX INVOICE" in slip and "不是发票" in slip
    assert "SALES INVOICE" not in slip


def staff_form(**fields):
    return {"username": "clerk9", "display_name": "新店员", "roles": "salesperson", **fields}


def test_weak_passwords_are_refused_on_the_server_naming_the_field(as_user, world):
    owner = as_user("owner")
    for weak, problem in [
        ("abc", "at least 8 characters|至少 8 个字符"),
        ("abcdefghij", "mix at least two|至少包含两种"),
        ("clerk9-secret", "username|用户名"),
        ("password1", "too common|过于常见"),
    ]:
        html = owner.post("/admin/staff/new/", staff_form(new_password=weak)).get_data(as_text=True)
        assert re.search("(New password|新密码)[:：] ", html), weak
        assert re.search(problem, html), weak
    with system():
        assert not Staff.select().where(Staff.username == "clerk9").exists()
    assert owner.post("/admin/staff/new/", staff_form(new_password="xin-dian-8")).status_code == 302
    with system():
        clerk = Staff.get(Staff.username == "clerk9")
    edit = {**staff_form(new_password="short"), "version": clerk.version}
    html = owner.post(f"/admin/staff/edit/?id={clerk.id}", edit).get_data(as_text=True)
    assert re.search("at least 8 characters|至少 8 个字符", html)


def test_changing_ones_password_checks_strength_and_the_current_one(as_user, world):
    c = as_user("sales1")
    assert 'href="/password"' in c.get("/admin/").get_data(as_text=True)
    bad = {"current": "wrong", "new": "abc", "again": "abd"}
    html = c.post("/password", bad).get_data(as_text=True)
    for message in ("not your password|密码不正确", "at least 8|至少 8", "differ|不一致"):
        assert re.search(message, html), message  # all three on one save
    good = {"current": PASSWORD, "new": "new-secret-9", "again": "new-secret-9"}
    assert c.post("/password", good).status_code == 302
    assert c.get("/admin/").status_code == 200  # this session goes on
    with system():
        assert Staff.get(Staff.username == "sales1").check_password("new-secret-9")
