"""A readable audit trail (README "Audit trail"; issue 9, item 8): field labels, not column
names; local times; state labels, not keys; people by name, not username; a new record listed
by the values it was given; and no audit row for a login (tests/test_login_lockout.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from models import AuditLog, Customer, Staff
from rules import RuleViolation
from tests.conftest import system
from tests.test_sales import at_state
from tests.test_ux_labels import visible

NAMES = {"sales1": "李娜", "supervisor": "陈静", "finance": "刘芳", "warehouse": "赵强"}
USERNAMES = re.compile(r"\b(sales1|supervisor|finance|warehouse)\b")


def name_people(world) -> None:
    with system():
        for username, name in NAMES.items():
            Staff.update(display_name=name).where(Staff.username == username).execute()


def history_rows(response) -> list[str]:
    """The text of each row of a details page's history table, newest first."""
    page = response.get_data(as_text=True)
    table = page.split('data-testid="history"', 1)[1].split("</table>", 1)[0]
    rows = [" ".join(visible_text(row).split()) for row in table.split("<tr>")[2:]]
    return [re.sub(r" : ", ": ", row) for row in rows]


def visible_text(fragment: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_history_and_trail_name_people_not_usernames(as_user, world):
    name_people(world)
    order = at_state(world, "shipped")
    owner = as_user("owner")
    rows = history_rows(owner.get(f"/admin/sales_order/details/?id={order.id}"))
    text = "\n".join(rows)
    assert not USERNAMES.search(text), text
    assert {"李娜", "陈静", "刘芳", "赵强"} <= {n for n in NAMES.values() if n in text}
    # a system effect names the person it served by name (the customer's last purchase)
    customer = "\n".join(
        history_rows(owner.get(f"/admin/customer/details/?id={order.customer_id}"))
    )
    assert "刘芳" in customer and not USERNAMES.search(customer), customer
    # (a staff record's own username is data: the "用户名" field of its audit rows)
    trail = re.sub(r"用户名\s*:\s*\w+", "", visible(owner.get("/admin/audit_log/?page_size=200")))
    assert "李娜" in trail and not USERNAMES.search(trail)
    exported = owner.get("/admin/audit_log/export/csv/").get_data(as_text=True)
    exported = re.sub(r"用户名\s*:\s*\w+", "", exported)
    assert "李娜" in exported and not USERNAMES.search(exported)


def test_a_new_record_lists_the_values_it_was_given(as_user, world):
    sales1 = as_user("sales1")
    form = {"name": "新客户", "phone": "137 0000 1111", "gender": "F", "address": "上海市黄浦区"}
    assert sales1.post("/admin/customer/new/", form).status_code == 302
    with system():
        created = Customer.get(Customer.phone == "13700001111")
    rows = history_rows(sales1.get(f"/admin/customer/details/?id={created.id}"))
    created_row = rows[-1]
    assert "名称" in created_row or "姓名" in created_row or "新客户" in created_row
    assert "地址: 上海市黄浦区" in created_row and "手机号: 13700001111" in created_row
    for bookkeeping in ("ID", "创建时间", "更新时间", "Version", "版本"):
        assert bookkeeping not in created_row, created_row
    assert "负责人: Sales1" in created_row  # a related record by its name, not its id
    trail = as_user("owner").get("/admin/audit_log/?page_size=200").get_data(as_text=True)
    assert "<b>地址</b>: 上海市黄浦区" in trail and "<b>ID</b>" not in trail
    assert "<b>负责人</b>: Sales1" in trail and "<b>门店</b>: 南京西路店" in trail
    assert "<b>角色</b>: 专卖店店员" in trail  # roles by their configured labels


def test_times_are_local_and_states_are_labelled_in_each_language(as_user, world):
    order = at_state(world, "submitted")
    with system():
        entry = (
            AuditLog.select()
            .where((AuditLog.model == "sales_order") & (AuditLog.action == "update"))
            .get()
        )
    zone = ZoneInfo("Asia/Shanghai")
    local = entry.at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    owner = as_user("owner")
    rows = history_rows(owner.get(f"/admin/sales_order/details/?id={order.id}"))
    assert local.strftime("%Y-%m-%d %H:%M") in rows[0]
    assert local.utcoffset() == timedelta(hours=8)
    assert "状态: 草稿 → 已提交" in rows[0], rows[0]
    owner.post("/locale", {"locale": "en", "next": "/admin/"})
    rows = history_rows(owner.get(f"/admin/sales_order/details/?id={order.id}"))
    assert "Status: Draft → Submitted" in rows[0], rows[0]
    assert not re.search(r"\b(draft|submitted)\b", "\n".join(rows))


def test_a_refusal_names_the_field_by_its_label(app):
    """RuleViolation.message() on a page: "抵扣积分: …", never "points_redeemed: …"."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "sales_order")
    exc = RuleViolation({"points_redeemed": ["Not enough points."]})
    assert exc.message() == "points_redeemed: Not enough points."  # a CLI keeps the name
    with app.test_request_context():
        from flask import session

        session["locale"] = "zh_CN"
        assert exc.message(view.get_column_name) == "抵扣积分: Not enough points."
