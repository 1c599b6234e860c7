"""Paste into a grid (issue 10, item 3): a block of cells goes through the row scope, the
editable columns and the rules, one savepoint per cell, one result per cell (A1: a duplicate
mobile names who has the customer)."""

from __future__ import annotations

import json
import re

from models import Customer, Location, Product
from tests.conftest import World, system

URL = "/admin/customer/ajax/paste/"


def paste(client, cells, url=URL, **kw):
    return client.post(url, {"cells": json.dumps(cells)}, **kw)


def five_rows(world) -> list[int]:
    with system():
        extra = [
            World.customer(f"客户{i}", f"1370000000{i}", owner=world.sales1).id for i in range(4)
        ]
    return [world.c_sales1.id, *extra]


def test_a_block_saves_every_cell_but_the_refused_one(as_user, world):
    ids = five_rows(world)
    block = [
        ["甲", "13811110001", "男"],
        ["乙", "13811110002", "Female"],
        ["丙", "13900000002", "F"],  # the mobile belongs to sales2's customer (A1)
        ["丁", "13811110004", "M"],
        ["戊", "13811110005", "女"],
    ]
    cells = [
        [pk, col, value]
        for pk, row in zip(ids, block, strict=True)
        for col, value in zip(("name", "phone", "gender"), row, strict=True)
    ]
    response = paste(as_user("sales1"), cells)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == 15 and response.get_json()["refused"] == 1, results
    refused = [r for r in results if not r["ok"]]
    assert refused[0]["id"] == str(ids[2]) and refused[0]["field"] == "phone"
    assert refused[0]["message"].startswith("手机号: ") and "Sales2" in refused[0]["message"]
    with system():
        rows = [Customer.get_by_id(pk) for pk in ids]
    assert [r.name for r in rows] == ["甲", "乙", "丙", "丁", "戊"]
    assert [r.gender for r in rows] == ["M", "F", "F", "M", "F"]
    assert rows[2].phone == f"1370000000{1}"  # the refused cell left the stored number
    assert rows[0].phone == "13811110001"


def test_a_bad_choice_is_refused_naming_the_field(as_user, world):
    response = paste(as_user("sales1"), [[world.c_sales1.id, "level", "钻石"]])
    result = response.get_json()["results"][0]
    assert not result["ok"] and "等级" in result["message"] and "钻石" in result["message"]
    ok = paste(as_user("owner"), [[world.c_sales1.id, "level", "金卡"]]).get_json()
    assert ok["refused"] == 0
    with system():
        assert Customer.get_by_id(world.c_sales1.id).level == "gold"


def test_rows_outside_the_scope_are_refused(as_user, world):
    cells = [[world.c_sales2.id, "name", "偷改"], [world.c_sales1.id, "name", "新名"]]
    results = paste(as_user("sales1"), cells).get_json()["results"]
    assert [r["ok"] for r in results] == [False, True], results
    with system():
        assert Customer.get_by_id(world.c_sales2.id).name == "李建国"
        assert Customer.get_by_id(world.c_sales1.id).name == "新名"


def test_columns_that_are_not_editable_are_refused(as_user, world):
    cells = [[world.c_sales1.id, "owner", str(world.sales2.id)], [world.c_sales1.id, "notes", "x"]]
    results = paste(as_user("sales1"), cells).get_json()["results"]
    assert not any(r["ok"] for r in results)
    assert "负责人" in results[0]["message"] and "备注" in results[1]["message"]
    with system():
        row = Customer.get_by_id(world.c_sales1.id)
        assert row.owner_id == world.sales1.id and row.notes == ""


def test_people_who_may_not_edit_cannot_paste(as_user, world):
    with system():
        Location.update(name="总部").where(Location.id == world.hq.id).execute()
    cells = json.dumps([[world.hq.id, "name", "改名"]])
    response = as_user("sales1").post("/admin/location/ajax/paste/", {"cells": cells})
    assert response.status_code in (302, 403)
    with system():
        assert Location.get_by_id(world.hq.id).name == "总部"


def test_paste_needs_csrf(as_user, world):
    response = paste(as_user("sales1"), [[world.c_sales1.id, "name", "x"]], csrf=False)
    assert response.status_code == 400
    with system():
        assert Customer.get_by_id(world.c_sales1.id).name == "王秀英"


def test_choice_labels_in_either_language(as_user, world):
    c = as_user("owner")  # only the owner role or a supervisor sets a level (rules)
    for text, stored in (
        ("VIP", "vip"),
        ("银卡", "silver"),
        ("Gold", "gold"),
        ("normal", "normal"),
    ):
        answer = paste(c, [[world.c_sales1.id, "level", text]]).get_json()
        assert answer["refused"] == 0, answer
        with system():
            assert Customer.get_by_id(world.c_sales1.id).level == stored


def test_the_grid_offers_choice_cells_as_selects(as_user, world):
    page = as_user("sales1").get("/admin/customer/").get_data(as_text=True)
    gender = re.search(r'<a [^>]*data-type="select2"[^>]*id="gender"[^>]*>', page).group(0)
    assert 'data-value="F"' in gender and "\\u5973" in gender  # stored value; label 女
    assert "grid_keys.js" in page


def test_yes_no_and_number_cells_in_the_product_grid(as_user, world):
    owner, pk, url = as_user("owner"), world.product.id, "/admin/product/ajax/paste/"
    cells = [[pk, "active", "否"], [pk, "price", "abc"], [pk, "spec", "60粒"]]
    results = paste(owner, cells, url).get_json()["results"]
    assert [r["ok"] for r in results] == [True, False, True], results
    assert results[0]["value"] == "0" and "单价" in results[1]["message"]
    assert not paste(owner, [[pk, "active", "也许"]], url).get_json()["results"][0]["ok"]
    assert paste(owner, [[pk, "active", "Yes"]], url).get_json()["refused"] == 0
    with system():
        row = Product.get_by_id(pk)
        assert row.active and row.spec == "60粒" and row.price == 198
