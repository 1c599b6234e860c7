"""Custom fields (issue 10 item 4; PROCESSES A1/A2 completeness): the owner adds a real column
at run time; it shows in form, grid, filter, search, export, import, details and audit; the
required rules spare old rows; removal hides and keeps the values; a purge drops the column."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest

import rules
from app import create_app
from models import Customer, FollowUp, Product, db
from models import custom_fields as store
from models.audit import AuditLog
from rules import RuleViolation
from rules import custom_fields as cf
from tests.conftest import Client, World, actor_of, count_queries, system
from tests.test_followups import survey

URL = "/admin/custom_fields/"


@pytest.fixture(autouse=True)
def _clean_models():
    yield
    store.reset()  # the next test's database has none of these columns


def add(client, **form):
    data = {"table": "customer", "kind": "text", "label_en": "Source", "label_zh": "来源"}
    data.update(form)
    return client.post(URL, data, follow_redirects=True).get_data(as_text=True)


def columns(table: str) -> set[str]:
    with db.connection_context():
        return {c.name for c in db.get_columns(table)}


def test_each_kind_becomes_a_real_prefixed_column(as_user, world):
    owner = as_user("owner")
    for kind, extra in [
        ("text", {}),
        ("number", {}),
        ("money", {}),
        ("date", {}),
        ("choice", {"choices": "fair | Trade fair | 展会\nweb | Website | 网站"}),
        ("yesno", {}),
        ("link", {"link": "product"}),
    ]:
        page = add(owner, name=f"f_{kind}", kind=kind, **extra)
        assert "字段已添加。" in page, page
    assert {f"x_f_{k}" for k in cf.KINDS} <= columns("customer")
    with system():
        c = Customer.get_by_id(world.c_sales1.id)
        c.x_f_text, c.x_f_number, c.x_f_money = "展会", 3, Decimal("12.50")
        c.x_f_date, c.x_f_choice, c.x_f_yesno = date(2026, 1, 2), "fair", True
        c.x_f_link = p = world.product
        c.save()
        back = Customer.get_by_id(world.c_sales1.id)
        assert (back.x_f_money, back.x_f_date, back.x_f_choice) == (
            Decimal("12.50"),
            date(2026, 1, 2),
            "fair",
        )
        assert back.x_f_link.id == world.product.id and back.x_f_yesno is True
    c = as_user("sales1")
    c.get("/admin/customer/")
    with count_queries() as few:
        grid = c.get("/admin/customer/").get_data(as_text=True)
    with system():
        for i in range(5):
            World.customer(f"客户{i}", f"1360000{i:04d}", owner=world.sales1, x_f_link=p.id)
    with count_queries() as many:
        c.get("/admin/customer/")
    assert world.product.name in grid and many.count == few.count  # the link is joined


def test_field_appears_in_form_grid_filter_search_export_import_details_audit(as_user, world):
    add(as_user("owner"), name="source", kind="choice", choices="fair | Trade fair | 展会")
    add(as_user("owner"), name="hobby", label_en="Hobby", label_zh="爱好")
    sales = as_user("sales1")
    form = sales.get("/admin/customer/new/").get_data(as_text=True)
    assert 'name="x_source"' in form and "展会" in form and 'name="x_hobby"' in form
    with system():
        c = Customer.get_by_id(world.c_sales1.id)
        c.x_source, c.x_hobby = "fair", "钓鱼"
        c.save()
    grid = sales.get("/admin/customer/").get_data(as_text=True)
    assert "爱好" in grid and "钓鱼" in grid and "展会" in grid
    assert "x_source" in grid  # a filter on it is offered (the filter menu names the column)
    found = sales.get("/admin/customer/?search=钓鱼").get_data(as_text=True)
    assert "王秀英" in found
    filtered = sales.get("/admin/customer/?flt0_x_hobby_equals=钓鱼").status_code
    assert filtered == 200
    export = sales.get("/admin/customer/export/csv/").get_data(as_text=True)
    assert "爱好" in export.splitlines()[0] and "钓鱼" in export
    details = sales.get(f"/admin/customer/details/?id={world.c_sales1.id}").get_data(as_text=True)
    assert "爱好" in details and "钓鱼" in details
    with system():
        audit = AuditLog.select().where(AuditLog.model == "customer").order_by(AuditLog.id.desc())
        assert "钓鱼" in str(audit.first().changes)
    trail = as_user("owner").get("/admin/audit_log/").get_data(as_text=True)
    assert "爱好" in trail and "钓鱼" in trail
    text = "name,phone,gender,address,Hobby,来源\n钱多多,13800138000,F,上海市,下棋,展会\n"
    data = {"file": (io.BytesIO(text.encode()), "data.csv")}
    page = sales.post("/admin/customer/import/", data, content_type="multipart/form-data")
    assert 'data-testid="import-ok"' in page.get_data(as_text=True)
    with system():
        row = Customer.get(Customer.phone == "13800138000")
        assert (row.x_hobby, row.x_source) == ("下棋", "fair")


def test_required_field_spares_unrelated_saves_of_old_rows(as_user, world):
    add(as_user("owner"), name="source", required="hard")
    with system():
        old = Customer.get_by_id(world.c_sales1.id)
        old.birthday, old.wechat = date(1960, 5, 1), "wx-wang"  # complete by the shipped rules
        old.address = "上海市徐汇区"
        old.save()  # an unrelated save of an old row works, and flags it to complete
        assert Customer.get_by_id(old.id).incomplete is True
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        FollowUp(customer=old.id, **survey()).save()  # its effect saves the old customer
    with system():
        assert Customer.get_by_id(old.id).last_followup_at is not None
        with pytest.raises(RuleViolation) as refused:
            Customer(name="新客户", phone="13700000001", gender="F", address="上海").save()
        assert "x_source" in refused.value.errors
        old = Customer.get_by_id(old.id)
        old.x_source = "展会"
        old.save()
        assert Customer.get_by_id(old.id).incomplete is False
        old = Customer.get_by_id(old.id)
        old.x_source = ""
        with pytest.raises(RuleViolation):
            old.save()  # a save that blanks it is refused


def test_removal_hides_keeps_values_and_export_then_purge(as_user, world, app):
    owner = as_user("owner")
    add(owner, table="product", name="origin", label_en="Origin", label_zh="产地")
    with system():
        p = Product.get_by_id(world.product.id)
        p.x_origin = "=cmd"
        p.save()
    row = store.CustomField.get(store.CustomField.name == "x_origin")
    page = owner.post(f"{URL}{row.id}/remove", {}, follow_redirects=True).get_data(as_text=True)
    assert "请勾选以确认移除" in page and "x_origin" in Product._meta.fields
    owner.post(f"{URL}{row.id}/remove", {"confirm": "yes"})
    assert "x_origin" not in Product._meta.fields and "x_origin" in columns("product")
    row = store.CustomField.get_by_id(row.id)
    assert row.hidden and "'=cmd" in open(row.export_path, encoding="utf-8").read()
    assert "产地" not in owner.get("/admin/product/").get_data(as_text=True)
    owner.post(f"{URL}{row.id}/purge", {"confirm": "wrong"})
    assert "x_origin" in columns("product")
    owner.post(f"{URL}{row.id}/purge", {"confirm": "x_origin"})
    assert "x_origin" not in columns("product")
    assert store.CustomField.get_or_none(store.CustomField.id == row.id) is None


def test_a_second_app_on_the_same_database_sees_the_new_field(as_user, world, app, overrides):
    other = create_app(overrides=overrides)
    other.config.update(TESTING=True)
    second = Client(other.test_client())
    assert second.login("sales1").status_code == 302
    assert "爱好" not in second.get("/admin/customer/new/").get_data(as_text=True)
    add(as_user("owner"), name="hobby", label_en="Hobby", label_zh="爱好")
    store._state["token"] = "stale"  # as if the other app lived in another process
    assert "爱好" in second.get("/admin/customer/new/").get_data(as_text=True)


@pytest.mark.parametrize(
    "name, message",
    [
        ("1abc", "小写字母"),
        ("drop table;", "小写字母"),
        ("name", ""),  # becomes x_name: allowed, never clashes with the shipped "name"
    ],
)
def test_bad_names_are_refused_with_a_clear_message(as_user, world, name, message):
    page = add(as_user("owner"), name=name)
    if message:
        assert message in page and "名称:" in page
    else:
        assert "字段已添加。" in page
    again = add(as_user("owner"), name="hobby") + add(as_user("owner"), name="hobby")
    assert "该表已有同名字段" in again


def test_non_owner_is_refused(as_user, world, client):
    assert as_user("sales1").get(URL).status_code == 403
    assert add(as_user("supervisor"), name="x") and "x_x" not in columns("customer")
    assert client.get(URL).status_code == 302


def test_runtime_field_never_looks_like_a_shipped_migration(as_user, world):
    from models.migrations import MIGRATIONS, current_version

    before = current_version()
    add(as_user("owner"), name="level2")
    with db.connection_context():
        assert current_version() == before == MIGRATIONS[-1][0]
    assert all(
        c.startswith("x_")
        for c in columns("customer")
        - {f.column_name for f in Customer._meta.sorted_fields if not f.name.startswith("x_")}
    )


def _hidden_and_shown(owner) -> tuple[int, int]:
    """Two fields on customers: one removed (hidden, so restore and purge apply), one shown."""
    add(owner, name="gone", label_en="Gone", label_zh="已去")
    add(owner, name="kept", label_en="Kept", label_zh="保留")
    gone = store.CustomField.get(store.CustomField.name == "x_gone")
    owner.post(f"{URL}{gone.id}/remove", {"confirm": "yes"})
    kept = store.CustomField.get(store.CustomField.name == "x_kept")
    return gone.id, kept.id


def _endpoints(gone: int, kept: int) -> list[tuple[str, str, dict]]:
    new = {"table": "customer", "name": "sneak", "kind": "text", "label_en": "S", "label_zh": "S"}
    return [
        ("get", URL, {}),
        ("post", URL, new),
        ("post", f"{URL}{kept}/remove", {"confirm": "yes"}),
        ("post", f"{URL}{gone}/restore", {}),
        ("post", f"{URL}{gone}/purge", {"confirm": "x_gone"}),
        ("get", f"{URL}{gone}/values.csv", {}),
    ]


def _unchanged(gone: int, kept: int) -> None:
    with db.connection_context():
        rows = {r.id: r for r in store.CustomField.select()}
    assert rows[gone].hidden and not rows[kept].hidden and len(rows) == 2
    assert {"x_gone", "x_kept"} <= columns("customer") and "x_sneak" not in columns("customer")


def test_every_post_of_the_page_needs_the_csrf_token(as_user, world):
    owner = as_user("owner")
    gone, kept = _hidden_and_shown(owner)
    for method, url, data in _endpoints(gone, kept):
        if method == "post":
            assert owner.post(url, data, csrf=False).status_code == 400, url
            forged = {**data, "csrf_token": "forged"}
            assert owner.post(url, forged, csrf=False).status_code == 400, url
    _unchanged(gone, kept)


@pytest.mark.parametrize("username", [None, "sales1", "supervisor", "finance", "store1"])
def test_anonymous_and_other_roles_are_refused_on_every_endpoint(as_user, world, client, username):
    gone, kept = _hidden_and_shown(as_user("owner"))
    person = as_user(username) if username else client
    for method, url, data in _endpoints(gone, kept):
        response = person.get(url) if method == "get" else person.post(url, data)
        if username:
            assert response.status_code == 403, (url, response.status_code)
        else:
            assert response.status_code == 302 and "/login" in response.location, url
        assert "x_gone" not in response.get_data(as_text=True), url  # no values leak
    _unchanged(gone, kept)


def test_the_table_select_offers_customers_first_and_chooses_it(as_user, world):
    import re

    page = as_user("owner").get(URL).get_data(as_text=True)
    start = page.index('id="cf-table"')
    select = page[start : page.index("</select>", start)]
    offered = re.findall(r'<option value="([a-z_]+)"', select)
    assert offered[:3] == ["customer", "product", "sales_order"], offered
    assert re.search(r'<option value="customer" selected>', select), select
    assert "我的任务" not in select and "跟踪任务" in select  # the table, not one person's grid


def test_a_link_field_filters_by_the_linked_rows_label_typed(as_user, world):
    """A link to products is filtered by a product's code or name typed ("equals" or
    "contains"), never by a list of the whole table; only rows in the person's scope."""
    add(as_user("owner"), name="fav", kind="link", link="product", label_zh="常购产品")
    with system():
        for c in (world.c_sales1, world.c_sales2):
            c = Customer.get_by_id(c.id)
            c.x_fav = world.product.id
            c.save()
        World.customer("赵小明", "13600009999", owner=world.sales1)  # links nothing
    sales = as_user("sales1")
    sales.post("/locale", {"locale": "zh_CN"})
    grid = sales.get("/admin/customer/").get_data(as_text=True)
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]+)<', grid).group(1))
    linked = [f for f in groups["常购产品"]]
    assert [f["operation"] for f in linked] == ["等于", "包含"] and not any(
        f["options"] for f in linked
    )
    equal, contains = (f["index"] for f in linked)
    name = world.product.name
    found = sales.get(f"/admin/customer/?flt0_{equal}={name}").get_data(as_text=True)
    assert "王秀英" in found and "赵小明" not in found and "李建国" not in found  # sales2's
    part = sales.get(f"/admin/customer/?flt0_{contains}={name[1:]}").get_data(as_text=True)
    assert "王秀英" in part
    none = sales.get(f"/admin/customer/?flt0_{equal}=没有这个产品").get_data(as_text=True)
    assert "王秀英" not in none
