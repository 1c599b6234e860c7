"""Bulk edit on every grid (issue 10 item 2; A1, B2): one field to one value on the selected
rows or on every row matching the filters, within the person's scope; every row through the
rules, each refusal with its reason; only offered fields; the count is shown before."""

from __future__ import annotations

import re

import pytest

from models import Customer, SalesOrder
from tests.conftest import system
from tests.test_sales import new_order, reload

URL = "/admin/customer/bulk_edit/"


def another(world, name, phone, owner):
    with system():
        return world.customer(name, phone, owner=owner)


def levels(*customers, name="level"):
    with system():
        return [getattr(Customer.get_by_id(c.id), name) for c in customers]


def flashed(c):
    page = c.get("/admin/customer/").get_data(as_text=True)
    return [
        m.strip()
        for m in re.findall(r"class=\"alert alert-[^>]*>.*?</button>(.*?)</div>", page, re.S)
    ]


def test_the_action_opens_the_page_with_labels_and_a_count(as_user, world):
    c = as_user("sales1")
    extra = another(world, "赵敏", "13900000011", world.sales1)
    ids = [world.c_sales1.id, extra.id]
    response = c.post("/admin/customer/action/", {"action": "bulk_edit", "rowid": ids})
    assert URL in response.headers["Location"]
    page = c.get(f"{URL}?ids={ids[0]},{ids[1]}&field=level").get_data(as_text=True)
    assert 'data-testid="bulk-count"' in page
    assert re.search(r"(will change|将修改) 2 ", page)
    options = re.search(r'data-testid="bulk-field">(.*?)</select>', page, re.S).group(1)
    assert "owner" not in options and ">level<" not in options  # labels, never the owner


def test_selected_rows_are_set_each_through_save_with_its_audit_row(as_user, world):
    from models.audit import AuditLog

    c = as_user("sales1")
    extra = another(world, "赵敏", "13900000011", world.sales1)
    ids = f"{world.c_sales1.id},{extra.id}"
    response = c.post(f"{URL}?ids={ids}&field=address", {"address": "南京东路1号"})
    assert response.status_code == 302
    assert levels(world.c_sales1, extra, name="address") == ["南京东路1号"] * 2
    with system():
        audited = AuditLog.select().where(
            (AuditLog.model == "customer") & AuditLog.changes.contains("南京东路1号")
        )
        assert {a.record_id for a in audited} >= {str(world.c_sales1.id), str(extra.id)}


def test_a_salesperson_cannot_touch_others_rows_by_crafting_ids_or_filters(as_user, world):
    c = as_user("sales1")
    theirs = [world.c_sales2, world.c_pool, world.c_store1]
    ids = ",".join(str(x.id) for x in [world.c_sales1, *theirs])
    page = c.get(f"{URL}?ids={ids}&field=level").get_data(as_text=True)
    assert re.search(r"(will change|将修改) 1 ", page)
    c.post(f"{URL}?ids={ids}&field=address", {"address": "X"})
    crafted = f"{URL}?all=1&search=13900000002&field=address"  # sales2's customer's phone
    assert re.search(r"(will change|将修改) 0 ", c.get(crafted).get_data(as_text=True))
    c.post(crafted, {"address": "X"})
    assert levels(*theirs, name="address") == ["上海市静安区"] * 3
    c.post(f"{URL}?all=1&field=address", {"address": "X"})
    assert levels(world.c_sales1, name="address") == ["X"]
    assert "X" not in levels(*theirs, name="address")


def test_the_whole_filtered_set_honours_the_search(as_user, world):
    c = as_user("owner")
    page = c.get(f"{URL}?all=1&search=13900000002&field=level").get_data(as_text=True)
    assert re.search(r"(will change|将修改) 1 ", page)
    c.post(f"{URL}?all=1&search=13900000002&field=level", {"level": "vip"})
    assert levels(world.c_sales2, world.c_sales1, world.c_pool) == ["vip", "normal", "normal"]
    c.post(f"{URL}?all=1&field=level", {"level": "gold"})
    assert flashed(c)[-1].endswith(("4 of 4 records changed.", "4 条中已修改 4 条。"))
    visible = [world.c_sales1, world.c_sales2, world.c_store1, world.c_store2]
    assert levels(*visible) == ["gold"] * 4  # the pool is not in this grid


def test_each_refused_row_comes_back_with_the_real_reason(as_user, world):
    c = as_user("owner")
    ids = f"{world.c_sales1.id},{world.c_sales2.id}"
    response = c.post(f"{URL}?ids={ids}&field=phone", {"phone": "13900000005"})
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    with system():
        phones = [Customer.get_by_id(x.id).phone for x in (world.c_sales1, world.c_sales2)]
    assert phones == ["13900000001", "13900000002"]  # both refused: a duplicate (A1)
    assert re.search(r"王秀英[^<]*: (手机号|Mobile): [^<]*(already belongs|已属于)", page)
    assert re.search(r"李建国[^<]*: (手机号|Mobile): ", page)


def test_a_rule_refuses_each_row_by_name_and_field(as_user, world):
    c = as_user("sales1")  # A level is the owner's or a supervisor's to change
    extra = another(world, "赵敏", "13900000011", world.sales1)
    c.post(f"{URL}?ids={world.c_sales1.id},{extra.id}&field=level", {"level": "vip"})
    lines = flashed(c)
    assert levels(world.c_sales1, extra) == ["normal", "normal"]
    assert len([x for x in lines if re.match(r"(王秀英|赵敏) \(\d+\): (Level|等级): ", x)]) == 2


def test_fields_not_offered_cannot_be_set_by_a_crafted_post(as_user, world):
    c = as_user("owner")
    ids = str(world.c_sales1.id)
    assert c.post(f"{URL}?ids={ids}&field=owner", {"owner": world.sales2.id}).status_code == 400
    assert c.post(f"{URL}?ids={ids}&field=version", {"version": "9"}).status_code == 400
    with system():
        assert Customer.get_by_id(world.c_sales1.id).owner_id == world.sales1.id
    order = new_order(world)
    c = as_user("supervisor")
    response = c.post(
        f"/admin/sales_order/bulk_edit/?ids={order.id}&field=status", {"status": "paid"}
    )
    assert response.status_code in (400, 403)
    assert reload(order).status == "draft"
    assert SalesOrder.status.name == "status"


def test_the_bulk_edit_needs_csrf_and_a_login(client, as_user, world):
    anonymous = client.get(f"{URL}?ids={world.c_sales1.id}&field=level")
    assert anonymous.status_code in (302, 401, 403)
    c = as_user("sales1")
    c.post(f"{URL}?ids={world.c_sales1.id}&field=level", {"level": "vip"}, csrf=False)
    assert levels(world.c_sales1) == ["normal"]


@pytest.fixture
def overrides(overrides):
    return {**overrides, "tasks": {**overrides["tasks"], "bulk_batch": 4}}


def test_more_than_a_batch_runs_as_a_job_with_its_progress_and_refusals(as_user, world):
    from models import Notification
    from models.bulk import BulkRun

    another(world, "赵敏", "13900000011", world.sales1)
    another(world, "周芳", "13900000012", world.sales1)
    c = as_user("owner")  # the whole filtered set: 6 visible customers, batches of four
    response = c.post(f"{URL}?all=1&field=phone", {"phone": "13900000005"})
    assert "/admin/customer/bulk_run/?id=" in response.headers["Location"]
    with system():
        run = BulkRun.get()
        assert (run.action, run.state, run.total, run.done) == ("bulk_edit", "done", 6, 6)
        assert run.moved == 1 and len(run.refusals) == 5  # one may take it; then a duplicate
        assert Notification.select().where(Notification.link.contains("bulk_run")).count() == 1
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-state="done"' in page and re.search(r"(手机号|Mobile): ", page)
    assert re.search(r"(批量修改|Bulk edit)[:：] ?(手机号|Mobile)", page)
    assert as_user("supervisor").get(response.headers["Location"]).status_code == 404


def test_the_set_based_path_writes_what_save_would(as_user, world):
    import json

    from models.audit import AuditLog
    from rules.bulk_edit import SET_BASED

    assert "level" in SET_BASED["customer"] and "phone" not in SET_BASED["customer"]
    with system():
        before = Customer.get_by_id(world.c_sales1.id).version
    ids = f"{world.c_sales1.id},{world.c_sales2.id}"
    as_user("owner").post(f"{URL}?ids={ids}&field=level", {"level": "vip"})
    with system():
        assert Customer.get_by_id(world.c_sales1.id).version == before + 1
        rows = AuditLog.select().where(
            (AuditLog.model == "customer") & AuditLog.changes.contains("vip")
        )
        found = {(a.record_id, a.action, a.actor_name): json.loads(a.changes) for a in rows}
    assert found == {
        (str(c.id), "update", "owner"): {"level": ["normal", "vip"]}
        for c in (world.c_sales1, world.c_sales2)
    }
