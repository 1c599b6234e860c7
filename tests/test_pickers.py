"""Foreign-key pickers at scale (issue 7 item 14; B1, C1): forms never list a big table.

A customer or product is chosen by type-ahead through the grid's scoped query, searched by
index (prefix range, never LIKE '%…%'); a crafted id outside the person's scope is refused with
a field message on the form, inline edit, import and the rules path.
"""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest

import rules
from models import Customer, Product, SalesOrder, db
from tests.conftest import actor_of, count_queries, system

LOOKUP = "/admin/{view}/ajax/lookup/?name={name}&query={query}"
CHOOSE = ("Choose from the list", "请从列表中选择")  # the field message, either language


def refused(html: str) -> bool:
    return any(text in html for text in CHOOSE)


def lookup(client, query, view="sales_order", name="customer", **extra):
    url = LOOKUP.format(view=view, name=name, query=query)
    url += "".join(f"&{k}={v}" for k, v in extra.items())
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [row[:2] for row in json.loads(response.get_data(as_text=True))]  # [id, label]


def options(html: str) -> list[str]:
    return re.findall(r"<option[^>]*>([^<]*)</option>", html)


def many_customers_and_products(world, n=40):
    """More rows than any form could list; each one recognisable in HTML."""
    with system():
        for i in range(n):
            world.customer(f"批量{i:03d}", f"1370000{i:04d}", owner=world.sales1)
            Product(sku=f"BULK-{i:03d}", name=f"批量产品{i:03d}", price=Decimal("1.00")).save()


def test_no_form_or_filter_lists_customers_or_products(app, as_user, world):
    """Every grid's create form and list page (filters), as the owner, for every view."""
    many_customers_and_products(world)
    owner = as_user("owner")
    views = [v for v in app.extensions["admin"][0]._views if hasattr(v, "create_view")]
    assert {"sales_order", "follow_up", "stock_move"} <= {v.endpoint for v in views}
    for view in views:
        for url in (f"/admin/{view.endpoint}/new/", f"/admin/{view.endpoint}/"):
            response = owner.get(url)
            if response.status_code != 200:
                continue
            listed = [o for o in options(response.get_data(as_text=True)) if "批量" in o]
            assert listed == [], f"{url} lists {len(listed)} rows, e.g. {listed[:3]}"


def test_the_order_form_has_type_ahead_pickers(as_user, world):
    html = as_user("owner").get("/admin/sales_order/new/").get_data(as_text=True)
    customer = re.search(r'<input[^>]*id="customer"[^>]*>', html).group(0)
    assert 'data-role="select2-ajax"' in customer
    assert "name=customer" in customer.replace("&amp;", "&")
    assert world.c_sales1.phone not in html and world.product.sku not in html
    assert "name=salesorderline.product" in html.replace("&amp;", "&")  # the lines' template


def test_lookup_searches_name_phone_prefix_and_code(as_user, world):
    sales1, owner = as_user("sales1"), as_user("owner")
    assert lookup(sales1, "王") == [[world.c_sales1.id, str(world.c_sales1)]]
    assert lookup(sales1, "1390") == [[world.c_sales1.id, "王秀英 (13900000001)"]]
    assert lookup(sales1, "李") == []  # sales2's customer
    assert lookup(sales1, "13900000002") == []
    # The owner role may act for every owned customer, in phone order; the pool is not offered.
    owned = [world.c_sales1, world.c_sales2, world.c_store1, world.c_store2]
    assert [r[0] for r in lookup(owner, "1390")] == [c.id for c in owned]
    assert [r[0] for r in lookup(owner, "1390", limit=2)] == [c.id for c in owned[:2]]
    assert [r[0] for r in lookup(owner, "%2B86%20139-0000")] == [c.id for c in owned]
    assert [r[0] for r in lookup(owner, "1390", offset=2)] == [c.id for c in owned[2:]]
    # Products by code prefix or by name; label "code name"; discontinued ones are not offered.
    with system():
        Product(sku="HP-002", name="停产软胶囊", price=Decimal("9.00"), active=False).save()
    label = [[world.product.id, "HP-001 蜂胶软胶囊"]]
    assert lookup(sales1, "HP-0", name="salesorderline.product") == label
    assert lookup(sales1, "软胶囊", name="salesorderline.product") == label
    assert lookup(sales1, "XX", name="salesorderline.product") == []
    # The follow-up form offers the same customers; the stock form the products.
    assert lookup(sales1, "1390", view="follow_up") == [[world.c_sales1.id, str(world.c_sales1)]]
    assert lookup(as_user("warehouse"), "HP", view="stock_move", name="product") == label


def test_lookup_for_store_staff_offers_their_stores_customers(as_user, world):
    store1 = as_user("store1")
    assert [r[0] for r in lookup(store1, "1390")] == [world.c_store1.id]
    assert [r[0] for r in lookup(store1, "1390", view="follow_up")] == [world.c_store1.id]


def test_lookup_never_returns_more_than_a_page(as_user, world):
    many_customers_and_products(world, n=60)
    rows = lookup(as_user("owner"), "137", limit=100000)
    assert 0 < len(rows) <= 50


def test_phone_and_code_lookups_use_an_index_not_like(as_user, world):
    owner = as_user("owner")
    for query, name in (("1390", "customer"), ("王", "customer"), ("HP-0", "product")):
        view = "stock_move" if name == "product" else "sales_order"
        with count_queries() as log:
            lookup(owner, query, view=view, name=name)
        searched = [s for s in log.sql if re.search('FROM "(customer|product)"', s)]
        assert searched, log.sql
        for sql in searched:
            assert "LIKE" not in sql.upper() and "ILIKE" not in sql.upper(), sql
            assert ">=" in sql and "<" in sql, sql


def test_an_edit_form_shows_the_chosen_customer_readably(as_user, world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        order = SalesOrder(customer=world.c_sales1.id, delivery="pickup")
        order.save()
    html = as_user("sales1").get(f"/admin/sales_order/edit/?id={order.id}").get_data(as_text=True)
    assert f'value="{world.c_sales1.id}"' in html and "王秀英 (13900000001)" in html


def _orders():
    with system():
        return [(o.id, o.customer_id) for o in SalesOrder.select().order_by(SalesOrder.id)]


def test_a_crafted_customer_id_is_refused_on_the_order_form(as_user, world):
    sales1 = as_user("sales1")
    for foreign in (world.c_sales2, world.c_pool, world.c_store1):
        response = sales1.post(
            "/admin/sales_order/new/",
            {"customer": foreign.id, "delivery": "pickup", "payment_method": "cash"},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and _orders() == []
        assert refused(html), html[-3000:]
        assert foreign.name not in html and foreign.phone not in html  # nothing leaks
    response = sales1.post(
        "/admin/sales_order/new/",
        {"customer": world.c_sales1.id, "delivery": "pickup", "payment_method": "cash"},
    )
    assert response.status_code == 302 and [c for _i, c in _orders()] == [world.c_sales1.id]


def test_a_crafted_customer_id_is_refused_on_the_follow_up_form(as_user, world):
    from models import FollowUp

    response = as_user("sales1").post(
        "/admin/follow_up/new/", {"customer": world.c_sales2.id, "users_count": 1}
    )
    assert response.status_code == 200
    assert refused(response.get_data(as_text=True))
    with system():
        assert FollowUp.select().count() == 0


def test_a_crafted_customer_id_is_refused_when_editing_an_order(as_user, world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        order = SalesOrder(customer=world.c_sales1.id, delivery="pickup")
        order.save()
    sales1 = as_user("sales1")
    data = {"delivery": "pickup", "payment_method": "cash", "version": 1}
    response = sales1.post(
        f"/admin/sales_order/edit/?id={order.id}", {**data, "customer": world.c_sales2.id}
    )
    assert response.status_code == 200 and refused(response.get_data(True))
    response = sales1.post(  # inline edit: the customer is not editable in the grid
        "/admin/sales_order/ajax/update/",
        {"list_form_pk": order.id, "customer": world.c_sales2.id},
    )
    assert response.status_code != 200
    assert _orders() == [(order.id, world.c_sales1.id)]
    # Unchanged, the order's own customer stays valid even if it was transferred since.
    with system():
        moved = Customer.get_by_id(world.c_sales1.id)
        moved.owner = world.sales2.id
        moved.save()
    response = sales1.post(
        f"/admin/sales_order/edit/?id={order.id}",
        {**data, "customer": world.c_sales1.id, "note": "kept"},
    )
    assert response.status_code == 302, response.get_data(True)[-2000:]


@pytest.mark.parametrize("who", ["sales1", "store1"])
def test_the_rules_refuse_a_foreign_key_outside_the_writers_scope(world, who):
    """Any write path (here a draft order's customer changed by code) is refused by rules."""
    person = getattr(world, who)
    mine = world.c_sales1 if who == "sales1" else world.c_store1
    with db.connection_context(), rules.acting_as(actor_of(person)):
        order = SalesOrder(customer=mine.id, delivery="pickup")
        order.save()
        for foreign in (world.c_sales2, world.c_store2):
            order.customer = foreign.id
            with pytest.raises(rules.RuleViolation) as refused:
                order.save()
            assert "customer" in refused.value.errors, refused.value.errors
            order.customer = mine.id
    assert _orders() == [(order.id, mine.id)]


def test_a_crafted_customer_in_an_import_is_refused_per_row(as_user, world):
    text = f"customer,delivery\n{world.c_sales2.phone},pickup\n{world.c_sales1.phone},pickup\n"
    data = {"file": (io.BytesIO(text.encode("utf-8")), "orders.csv")}
    page = as_user("sales1").post(
        "/admin/sales_order/import/", data, content_type="multipart/form-data"
    )
    html = page.get_data(as_text=True)
    assert ("Row 2" in html or "第 2 行" in html) and _orders() == []
    assert "Row 3" not in html and "第 3 行" not in html
