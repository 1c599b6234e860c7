"""Search finds what people type (issue 9 item 2; A1, A2, B1): a phone's last 4 digits (尾号),
a WeChat ID, any part of an order number, an order's customer by name or mobile, each within
the person's row scope; choice filters by the labels people read (门店自提)."""

from __future__ import annotations

import json
import re

import pytest

from models import Customer
from tests.conftest import system
from tests.test_sales import new_order


def names(client, url: str) -> set[str]:
    """The customer names a customer grid page lists."""
    page = client.get(url).get_data(as_text=True)
    return set(re.findall(r"(王秀英|李建国|张丽娟|刘海燕|陈志强|周晓梅)", page))


def numbers(client, url: str) -> set[str]:
    page = client.get(url).get_data(as_text=True)
    return set(re.findall(r"SO-\d{8}-\d{4}", page))


@pytest.mark.parametrize(
    ("person", "term", "found"),
    [
        ("sales1", "0001", {"王秀英"}),  # the last 4 digits of their own customer's number
        ("sales1", "0002", set()),  # sales2's customer: outside their scope
        ("sales2", "0002", {"李建国"}),
        ("store1", "0004", {"刘海燕"}),  # their store's customer
        ("store1", "0005", set()),  # the other store's
        ("owner", "0005", {"陈志强"}),  # sees everyone
        ("sales1", "139-0000-0001", {"王秀英"}),  # a whole number, as typed
        ("sales1", "13900000002", set()),  # a whole number outside their scope
        ("owner", "1390000000", {"王秀英", "李建国", "刘海燕", "陈志强"}),  # first digits
        ("sales1", "秀英", {"王秀英"}),  # a name
    ],
)
def test_customer_search_by_phone_forms_and_name_within_scope(as_user, world, person, term, found):
    assert names(as_user(person), f"/admin/customer/?search={term}") == found


def test_customer_search_by_wechat_id_within_scope(as_user, world):
    with system():
        Customer.update(wechat="wxid_Wang88").where(Customer.id == world.c_sales1.id).execute()
    assert names(as_user("sales1"), "/admin/customer/?search=wxid_Wang88") == {"王秀英"}
    assert names(as_user("sales1"), "/admin/customer/?search=wxid_Wang") == {"王秀英"}
    assert names(as_user("sales2"), "/admin/customer/?search=wxid_Wang88") == set()


def test_last_four_digits_match_only_the_end_of_a_number(as_user, world):
    """`0001` is the end of 13900000001, not its middle: never `LIKE '%0001%'`."""
    with system():
        world.customer("周晓梅", "13900010009", owner=world.sales1)  # 0001 in its middle
    assert names(as_user("sales1"), "/admin/customer/?search=0001") == {"王秀英"}


@pytest.fixture
def orders(world):
    """Two orders of sales1's customer and one of sales2's, numbered SO-<today>-0001..3."""
    first = new_order(world)
    second = new_order(world)
    third = new_order(world, person=world.sales2, customer=world.c_sales2)
    return first, second, third


def test_order_search_by_any_part_of_its_number(as_user, world, orders):
    first, second, third = (o.number for o in orders)
    day = first[3:11]
    supervisor = as_user("supervisor")
    for term in ("0002", "2", "02", first.replace("0001", "0002").lower(), f"{day}-0002"):
        assert numbers(supervisor, f"/admin/sales_order/?search={term}") == {second}, term
    assert numbers(supervisor, f"/admin/sales_order/?search={day}0003") == {third}
    assert numbers(supervisor, f"/admin/sales_order/?search={day}") == {first, second, third}
    assert numbers(supervisor, "/admin/sales_order/?search=ＳＯ－" + day) == {first, second, third}
    assert numbers(supervisor, "/admin/sales_order/?search=0009") == set()


def test_order_search_by_the_customers_name_or_mobile(as_user, world, orders):
    first, second, third = (o.number for o in orders)
    supervisor = as_user("supervisor")
    assert numbers(supervisor, "/admin/sales_order/?search=王秀英") == {first, second}
    assert numbers(supervisor, "/admin/sales_order/?search=王") == {first, second}
    assert numbers(supervisor, "/admin/sales_order/?search=139-0000-0002") == {third}
    assert numbers(supervisor, "/admin/sales_order/?search=13900000") == {first, second, third}


def test_a_salesperson_finds_only_their_own_orders_by_search(as_user, world, orders):
    first, second, third = (o.number for o in orders)
    sales1 = as_user("sales1")
    assert numbers(sales1, "/admin/sales_order/?search=0003") == set()  # sales2's order
    assert numbers(sales1, "/admin/sales_order/?search=李建国") == set()
    assert numbers(sales1, "/admin/sales_order/?search=13900000002") == set()
    assert numbers(sales1, "/admin/sales_order/?search=0001") == {first}
    assert numbers(as_user("sales2"), "/admin/sales_order/?search=0003") == {third}


def filter_menu(client, url: str) -> dict:
    page = client.get(url).get_data(as_text=True)
    return json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]+)<', page).group(1))


def filter_index(menu: dict, group: str, operation: str) -> int:
    return next(f["index"] for f in menu[group] if f["operation"] == operation)


def test_a_choice_filter_offers_and_matches_labels_in_the_persons_language(as_user, world):
    first = new_order(world)
    express = new_order(world, delivery="express", address="江苏省南京市鼓楼区中山北路288号")
    owner = as_user("owner")  # Chinese by default
    menu = filter_menu(owner, "/admin/sales_order/")
    delivery = next(f for f in menu["交货方式"] if f["operation"] == "等于")
    assert ["pickup", "门店自提"] in delivery["options"]
    contains = filter_index(menu, "交货方式", "包含")
    url = f"/admin/sales_order/?flt0_{contains}="
    assert numbers(owner, url + "门店自提") == {first.number}
    assert numbers(owner, url + "快递") == {express.number}
    assert numbers(owner, url + "pickup") == {first.number}  # the key still works
    equals = filter_index(menu, "交货方式", "等于")
    assert numbers(owner, f"/admin/sales_order/?flt0_{equals}=express") == {express.number}


def test_every_grid_filters_by_owner_salesperson_store_and_state(as_user, world):
    owner = as_user("owner")
    customers = filter_menu(owner, "/admin/customer/")
    for group in ("负责人", "业务员", "门店", "创建时间"):
        assert group in customers, sorted(customers)
    people = next(f for f in customers["负责人"] if f["operation"] == "等于")["options"]
    assert [str(world.sales1.id), "Sales1"] in people
    by_owner = filter_index(customers, "负责人", "等于")
    found = names(owner, f"/admin/customer/?flt0_{by_owner}={world.sales2.id}")
    assert found == {"李建国"}
    by_store = filter_index(customers, "门店", "等于")
    assert names(owner, f"/admin/customer/?flt0_{by_store}={world.s1.id}") == {"刘海燕"}
    orders = filter_menu(owner, "/admin/sales_order/")
    for group in ("状态", "门店", "门店销售员", "创建时间"):
        assert any(group in g for g in orders), sorted(orders)
    state = next(f for f in orders["状态"] if f["operation"] == "等于")["options"]
    assert ["draft", "草稿"] in state


def test_a_salesperson_filtering_by_another_owner_sees_nothing_of_theirs(as_user, world):
    sales1 = as_user("sales1")
    menu = filter_menu(sales1, "/admin/customer/")
    by_owner = filter_index(menu, "负责人", "等于")
    assert names(sales1, f"/admin/customer/?flt0_{by_owner}={world.sales2.id}") == set()


def test_a_bad_filter_value_is_ignored_not_an_error(as_user, world):
    owner = as_user("owner")
    by_owner = filter_index(filter_menu(owner, "/admin/customer/"), "负责人", "等于")
    assert owner.get(f"/admin/customer/?flt0_{by_owner}=abc").status_code == 200
    assert names(owner, f"/admin/customer/?flt0_{by_owner}=abc") == {
        "王秀英",
        "李建国",
        "刘海燕",
        "陈志强",
    }


def test_the_pool_offers_no_owner_filter(as_user, world):
    menu = filter_menu(as_user("owner"), "/admin/pool/")
    assert "负责人" not in menu and "业务员" not in menu and "门店" in menu
