"""Foreign-key cells edited inline and pasted (issue 10, item 3; C1): a person's store in the
staff grid and a follow-up task's assignee take a row by its label or its id, only within
the person's scope for the related table, and save through the rules like any other cell."""

from __future__ import annotations

import json
from datetime import date

import pytest

from admin_views.base import GuardedModelView
from models import FollowUpTask, Location, Staff
from tests.conftest import make_staff, system

STAFF_UPDATE = "/admin/staff/ajax/update/"
STAFF_PASTE = "/admin/staff/ajax/paste/"
TASK_PASTE = "/admin/follow_up_task/ajax/paste/"


class ProbeTaskView(GuardedModelView):
    """Test-only: a task grid whose customer cell is open inline, to prove that a customer
    outside a salesperson's scope cannot be chosen by label or by a crafted id."""

    column_list = ("customer", "reason")
    column_editable_list = ("customer",)
    form_columns = ("customer",)
    form_ajax_refs = {"customer": {}}


@pytest.fixture
def app(overrides):
    from app import create_app
    from tests.conftest import fresh_database

    application = create_app(overrides=overrides)
    application.config.update(TESTING=True)
    admin = application.extensions["admin"][0]
    admin.add_view(ProbeTaskView(FollowUpTask, "Probe", endpoint="probe_task"))
    with fresh_database():
        yield application


def paste(client, url, cells, **kw):
    return client.post(url, {"cells": json.dumps(cells)}, **kw)


def store_of(person) -> int | None:
    with system():
        return Staff.get_by_id(person.id).store_id


def task_for(customer, assignee) -> FollowUpTask:
    with system():
        return FollowUpTask.create(
            customer=customer, assignee=assignee, reason="interval", due_on=date(2026, 12, 1)
        )


def test_inline_edit_picks_a_store_by_label_and_by_id(as_user, world):
    owner = as_user("owner")
    response = owner.post(STAFF_UPDATE, {"list_form_pk": world.store1.id, "store": "徐家汇店"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert store_of(world.store1) == world.s2.id
    response = owner.post(STAFF_UPDATE, {"list_form_pk": world.store1.id, "store": world.s1.id})
    assert response.status_code == 200 and store_of(world.store1) == world.s1.id


def test_an_unknown_or_ambiguous_label_is_refused_naming_field_and_text(as_user, world):
    owner = as_user("owner")
    response = owner.post(STAFF_UPDATE, {"list_form_pk": world.store1.id, "store": "静安寺店"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "门店" in text and "静安寺店" in text, text
    with system():
        Location.create(code="S09", name="徐家汇店", kind="store")  # a second one, same name
    response = owner.post(STAFF_UPDATE, {"list_form_pk": world.store1.id, "store": "徐家汇店"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "徐家汇店" in text and "多条" in text, text
    result = paste(owner, STAFF_PASTE, [[world.store1.id, "store", "徐家汇店"]]).get_json()
    assert result["refused"] == 1
    message = result["results"][0]["message"]
    assert message.startswith("门店: ") and "徐家汇店" in message and "多条" in message, message
    assert store_of(world.store1) == world.s1.id  # nothing saved


def test_paste_takes_labels_and_ids_and_the_rules_still_decide(as_user, world):
    cells = [
        [world.store1.id, "store", "徐家汇店"],
        [world.store2.id, "store", str(world.s1.id)],
        [world.sales1.id, "store", "总部仓库"],
        [world.store1.id, "store", ""],  # store staff must have a store (rules/staff.py)
        [world.sales2.id, "store", "99999"],  # no such row
        [world.sales2.id, "store", "99999999999999999999"],  # no integer column holds it
        [world.sales2.id, "store", "١"],  # an Arabic-Indic one is no id
    ]
    answer = paste(as_user("owner"), STAFF_PASTE, cells).get_json()
    oks = [r["ok"] for r in answer["results"]]
    assert oks == [True, True, True, False, False, False, False], answer
    assert [r["value"] for r in answer["results"][:3]] == ["徐家汇店", "南京西路店", "总部仓库"]
    assert "门店店员必须归属于某个门店" in answer["results"][3]["message"]
    assert "门店" in answer["results"][4]["message"] and "99999" in answer["results"][4]["message"]
    assert store_of(world.store1) == world.s2.id and store_of(world.store2) == world.s1.id
    assert store_of(world.sales1) == world.hq.id and store_of(world.sales2) is None


def test_an_inactive_store_is_neither_offered_nor_taken_by_label(as_user, world):
    with system():
        Location.create(code="S08", name="静安寺店", kind="store", active=False)
    owner = as_user("owner")
    found = owner.get("/admin/staff/ajax/lookup/?name=store&query=店").get_json()
    assert [label for _i, label in found] == ["南京西路店", "徐家汇店"]
    answer = paste(owner, STAFF_PASTE, [[world.store1.id, "store", "静安寺店"]]).get_json()
    assert answer["refused"] == 1 and store_of(world.store1) == world.s1.id


def test_the_grid_cell_is_a_type_ahead_never_a_list_of_the_table(as_user, world):
    page = as_user("owner").get("/admin/staff/").get_data(as_text=True)
    assert 'data-role="x-editable-fk"' in page
    assert "/admin/staff/ajax/lookup/?name=store" in page
    assert "总部仓库&#34;" not in page and '"text": "总部仓库"' not in page  # no data-source list


def test_a_task_is_handed_to_a_store_colleague_but_never_to_an_outsider(as_user, world):
    with system():
        colleague = make_staff("store1b", "store_staff", world.s1)
    task = task_for(world.c_store1, world.store1)
    owner = as_user("owner")
    cells = [[task.id, "assignee", "Sales1"], [task.id, "assignee", "Store1B"]]
    answer = paste(owner, TASK_PASTE, cells).get_json()
    assert [r["ok"] for r in answer["results"]] == [False, True], answer
    refused = answer["results"][0]["message"]
    assert refused.startswith("负责人: ") and "Sales1" in refused, refused
    with system():
        assert FollowUpTask.get_by_id(task.id).assignee_id == colleague.id
    page = owner.get("/admin/follow_up_task/").get_data(as_text=True)
    assert "/admin/follow_up_task/ajax/lookup/?name=assignee" in page


def test_people_who_may_not_see_the_staff_list_cannot_hand_tasks_on(as_user, world):
    task = task_for(world.c_store1, world.store1)
    clerk = as_user("store1")
    assert 'data-role="x-editable-fk"' not in clerk.get("/admin/follow_up_task/").get_data(
        as_text=True
    )
    cells = [[task.id, "assignee", str(world.store1.id)]]
    assert paste(clerk, TASK_PASTE, cells).status_code == 403
    update = {"list_form_pk": task.id, "assignee": world.owner.id}
    assert clerk.post("/admin/follow_up_task/ajax/update/", update).status_code == 403
    assert clerk.get("/admin/follow_up_task/ajax/lookup/?name=assignee&query=S").status_code == 403


def test_a_related_row_outside_the_scope_is_refused_by_label_and_by_id(as_user, world):
    task = task_for(world.c_sales1, world.sales1)
    sales1 = as_user("sales1")
    outside = str(world.c_sales2)  # 李建国 (13900000002): sales2's customer
    cells = [
        [task.id, "customer", outside],
        [task.id, "customer", str(world.c_sales2.id)],
        [task.id, "customer", str(world.c_sales1)],
    ]
    answer = paste(sales1, "/admin/probe_task/ajax/paste/", cells).get_json()
    assert [r["ok"] for r in answer["results"]] == [False, False, True], answer
    assert outside in answer["results"][0]["message"]
    assert str(world.c_sales2.id) in answer["results"][1]["message"]
    update = {"list_form_pk": task.id, "customer": world.c_sales2.id}
    response = sales1.post("/admin/probe_task/ajax/update/", update)
    assert response.status_code == 400
    with system():
        assert FollowUpTask.get_by_id(task.id).customer_id == world.c_sales1.id


def test_fk_cells_need_the_csrf_token(as_user, world):
    owner = as_user("owner")
    update = {"list_form_pk": world.store1.id, "store": "徐家汇店"}
    assert owner.post(STAFF_UPDATE, update, csrf=False).status_code == 400
    cells = [[world.store1.id, "store", "徐家汇店"]]
    assert paste(owner, STAFF_PASTE, cells, csrf=False).status_code == 400
    assert store_of(world.store1) == world.s1.id


def test_the_task_form_and_bulk_edit_hand_tasks_on_through_the_same_rule(as_user, world):
    with system():
        colleague = make_staff("store1b", "store_staff", world.s1)
    task = task_for(world.c_store1, world.store1)
    other = task_for(world.c_sales1, world.sales1)
    owner = as_user("owner")
    edit = f"/admin/follow_up_task/edit/?id={task.id}"
    page = owner.post(edit, {"assignee": world.sales2.id, "version": 1}).get_data(as_text=True)
    assert "Sales2 不能跟踪服务该客户" in page, page
    response = owner.post(edit, {"assignee": colleague.id, "version": 1})
    assert response.status_code == 302
    bulk = f"/admin/follow_up_task/bulk_edit/?ids={task.id},{other.id}&field=assignee"
    owner.post(bulk, {"assignee": world.store1.id})
    with system():
        assert FollowUpTask.get_by_id(task.id).assignee_id == world.store1.id
        assert FollowUpTask.get_by_id(other.id).assignee_id == world.sales1.id  # refused
