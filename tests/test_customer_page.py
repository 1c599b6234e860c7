"""The customer page (客户360, issue 9 item 1; A1-A5, B5, C1, C2): one screen per customer, every
list paged on the server and read through its own table's row scope; the verbs a person may
use, and only those; names in the grids open it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import g
from peewee import fn

from admin_views.customer_page import PAGE_SIZE
from models import FollowUp, FollowUpTask, SalesOrder
from models.audit import utcnow
from rules.points import post
from tests import grid_data
from tests.conftest import actor_of, system
from tests.test_grid_plans import plan, statements


def page(client, customer, **args):
    query = "&".join(f"{k}={v}" for k, v in {"id": customer.id, **args}.items())
    response = client.get(f"/admin/customer/details/?{query}", follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def rows_of(html: str, testid: str) -> list[str]:
    """The body rows of one list on the page (not its "nothing yet" row)."""
    found = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)
    assert found, f"no list {testid} on the page"
    body = found.group(1).split("<tbody>")[1]
    return [r for r in re.findall(r"<tr>(.*?)</tr>", body, re.S) if "text-muted" not in r]


def orders(customer, person, n, start=0):
    """`n` draft orders of `customer` entered by `person`, newest first by index."""
    now = utcnow()
    with system():
        for i in range(start, start + n):
            SalesOrder(
                customer=customer.id,
                created_by=person.id,
                created_at=now - timedelta(minutes=i),
                note=f"#{i}",
            ).save()


def follow_ups(customer, person, n):
    with system():
        for i in range(n):
            FollowUp(
                customer=customer.id,
                staff=person.id,
                at=utcnow() - timedelta(days=i),
                users_count=2,
                amount_per_person=f"每日{i}粒",
                adverse_reaction=False,
                expectations=f"期望{i}号",
                estimated_end_on=utcnow().date() + timedelta(days=30),
                next_followup_on=utcnow().date() + timedelta(days=7),
            ).save()


def open_task(customer, person):
    """One open follow-up task of `customer`, assigned to `person`, due 2026-12-01."""
    with system():
        FollowUpTask(
            customer=customer.id, assignee=person.id, reason="interval", due_on="2026-12-01"
        ).save()


def test_the_page_shows_profile_clock_points_orders_follow_ups_tasks_and_owners(as_user, world):
    """A4 days left, A2 completeness, B5 points, B2 order states in the person's language with
    their colour, C1 survey answers, C2 open tasks, A4 ownership history."""
    orders(world.c_sales1, world.sales1, 1)
    follow_ups(world.c_sales1, world.sales1, 1)
    with system():
        post(world.c_sales1.id, 120, "earn", "sales_order:999", actor_of(world.sales1))
    open_task(world.c_sales1, world.sales1)
    c = as_user("sales1")
    c.post("/locale", {"locale": "zh_CN"})
    code, html = page(c, world.c_sales1)
    assert code == 200
    summary = re.search(r'data-testid="customer-summary"(.*?)</dl>', html, re.S).group(1)
    assert "王秀英" in summary and "13900000001" in summary
    assert re.search(r'data-testid="owner">\s*Sales1', summary)
    assert re.search(r'data-testid="days-left">\s*<span class="badge [\w-]+">30 天</span>', summary)
    assert "待补充: 生日, 微信" in unescape(summary)  # soft-required fields left empty (A2)
    assert re.search(r'data-testid="points-balance">120<', summary)
    (order,) = rows_of(html, "orders")
    assert '<span class="badge badge-secondary">草稿</span>' in order and "¥0.00" in order
    (survey,) = rows_of(html, "follow-ups")
    assert "每日0粒" in survey and "期望0号" in survey and "<td>否" in survey
    (task,) = rows_of(html, "tasks")
    assert "很久没有跟踪" in task or "interval" not in task
    (points,) = rows_of(html, "points")
    assert "+120" in points and "获得" in points and "销售订单 #999" in points
    (owned,) = rows_of(html, "ownership")
    assert "公海" in owned and "Sales1" in owned
    for raw in ("interval", "earn", "sales_order:", "days_left", "owner_id", "draft"):
        assert raw not in re.sub(r"<[^>]+>", " ", html.split('data-testid="customer-summary"')[1])
    c.post("/locale", {"locale": "en"})
    _code, html = page(c, world.c_sales1)
    assert "Draft" in rows_of(html, "orders")[0] and "Earned" in rows_of(html, "points")[0]
    assert "30 days" in html and "To complete: Birthday, WeChat" in unescape(html)


def test_each_list_pages_on_its_own_and_links_on(as_user, world):
    orders(world.c_sales1, world.sales1, 2 * PAGE_SIZE + 3)
    follow_ups(world.c_sales1, world.sales1, PAGE_SIZE + 2)
    c = as_user("sales1")
    _code, html = page(c, world.c_sales1)
    first = rows_of(html, "orders")
    assert len(first) == PAGE_SIZE and len(rows_of(html, "follow-ups")) == PAGE_SIZE
    assert 'data-testid="pager-orders_page"' in html and "第 1 页，共 3 页" in html
    _code, html = page(c, world.c_sales1, orders_page=3, follow_ups_page=2)
    last, later = rows_of(html, "orders"), rows_of(html, "follow-ups")
    assert len(last) == 3 and len(later) == 2
    assert not set(first) & set(last)
    # each list keeps its own page: the pager of one carries the other's page along
    assert "orders_page=3" in unescape(
        re.search(r"pager-follow_ups_page.*?</nav>", html, re.S).group(0)
    )
    _code, html = page(c, world.c_sales1, orders_page=99)  # past the end: the last page
    assert len(rows_of(html, "orders")) == 3
    # an order opens its page; "open in the grid" is the grid filtered for this customer
    with system():
        newest = SalesOrder.select().where(SalesOrder.note == "#0").get()
    _code, html = page(c, world.c_sales1)
    assert f"/admin/sales_order/details/?id={newest.id}" in unescape(rows_of(html, "orders")[0])
    more = unescape(re.search(r'href="([^"]+)" data-testid="more-orders_page"', html).group(1))
    orders(world.c_sales2, world.sales1, 1, start=100)  # another customer's order
    grid = c.get(more).get_data(as_text=True)
    assert grid.count("/admin/sales_order/details/?id=") == 2 * PAGE_SIZE + 3 or "(23)" in grid
    assert "#100" not in grid and "王秀英" in grid
    fu = unescape(re.search(r'href="([^"]+)" data-testid="more-follow_ups_page"', html).group(1))
    assert "(12)" in c.get(fu).get_data(as_text=True)


def test_a_salesperson_cannot_open_another_salespersons_customer(as_user, world):
    for who, customer in (
        ("sales2", world.c_sales1),
        ("store1", world.c_sales1),
        ("sales1", world.c_store1),
    ):
        _code, html = page(as_user(who), customer)
        assert 'data-testid="customer-summary"' not in html, (who, customer.name)
        assert customer.phone not in html
    assert (
        as_user("warehouse").get(f"/admin/customer/details/?id={world.c_sales1.id}").status_code
        == 403
    )


def test_lists_hold_only_rows_in_the_persons_scope(as_user, world):
    """A customer transferred to sales2: the orders sales1 entered before stay sales1's (B row
    scope), so sales2's page neither lists nor counts them; the owner role sees all."""
    orders(world.c_sales2, world.sales1, 3)
    orders(world.c_sales2, world.sales2, 2, start=10)
    _code, html = page(as_user("sales2"), world.c_sales2)
    mine = rows_of(html, "orders")
    assert len(mine) == 2 and re.search(r"销售订单 <span[^>]*>2<", html)
    _code, html = page(as_user("owner"), world.c_sales2)
    assert len(rows_of(html, "orders")) == 5
    # a store clerk: their store's customer, only their store's orders
    orders(world.c_store1, world.store1, 2)
    with system():
        SalesOrder.update(store=world.s2.id).where(
            SalesOrder.customer == world.c_store1.id
        ).execute()
    _code, html = page(as_user("store1"), world.c_store1)
    assert 'data-testid="customer-summary"' in html and rows_of(html, "orders") == []


def verbs(html: str) -> set[str]:
    block = re.search(r'data-testid="customer-actions">(.*?)</div>', html, re.S)
    return set(re.findall(r'data-testid="([\w-]+)"', block.group(1))) if block else set()


@pytest.mark.parametrize(
    "who, customer, expected",
    [
        ("sales1", "c_sales1", {"log-followup", "start-order", "edit"}),
        ("owner", "c_sales1", {"log-followup", "start-order", "edit", "assign"}),
        ("store1", "c_store1", {"log-followup", "start-order", "edit"}),
        ("supervisor", "c_sales1", set()),
        ("finance", "c_sales1", set()),
        ("sales2", "c_pool", {"claim"}),
        ("owner", "c_pool", {"assign"}),
    ],
)
def test_the_page_offers_only_what_the_person_may_do(as_user, world, who, customer, expected):
    _code, html = page(as_user(who), getattr(world, customer))
    assert 'data-testid="customer-summary"' in html
    assert verbs(html) == expected


def test_sections_follow_the_persons_permissions(as_user, world):
    """Finance sees customers and orders, not follow-ups or tasks."""
    _code, html = page(as_user("finance"), world.c_sales1)
    assert 'data-testid="orders"' in html and 'data-testid="points"' in html
    assert 'data-testid="follow-ups"' not in html and 'data-testid="tasks"' not in html


def test_start_an_order_opens_the_form_with_the_customer_chosen(as_user, world):
    c = as_user("sales1")
    _code, html = page(c, world.c_sales1)
    link = unescape(re.search(r'data-testid="start-order" href="([^"]+)"', html).group(1))
    form = c.get(link).get_data(as_text=True)
    assert re.search(rf'name="customer"[^>]*value="{world.c_sales1.id}"', form)
    assert "王秀英 (13900000001)" in unescape(form)
    # a customer the person may not sell to is not chosen for them
    form = c.get(f"/admin/sales_order/new/?customer={world.c_sales2.id}").get_data(as_text=True)
    assert "李建国" not in form


def test_claim_from_the_page_lands_on_the_customer_page(as_user, world):
    c = as_user("sales2")
    _code, html = page(c, world.c_pool)  # the customer grid sends a pool customer to the pool
    assert "/admin/pool/action/" in html
    response = c.post(
        "/admin/pool/action/",
        {
            "action": "claim",
            "rowid": world.c_pool.id,
            "url": f"/admin/customer/details/?id={world.c_pool.id}",
        },
    )
    assert response.headers["Location"].endswith(f"/admin/customer/details/?id={world.c_pool.id}")
    _code, html = page(c, world.c_pool)
    assert verbs(html) == {"log-followup", "start-order", "edit"}


def test_names_in_the_grids_open_the_customer_page(as_user, world):
    orders(world.c_sales1, world.sales1, 1)
    follow_ups(world.c_sales1, world.sales1, 1)
    open_task(world.c_sales1, world.sales1)
    c = as_user("sales1")
    target = f"/admin/customer/details/?id={world.c_sales1.id}"
    for grid in ("/admin/sales_order/", "/admin/follow_up/", "/admin/follow_up_task/"):
        assert f'class="mc-name" href="{target}"' in unescape(c.get(grid).get_data(as_text=True)), (
            grid
        )
    listing = unescape(c.get("/admin/customer/").get_data(as_text=True))
    assert f'<a class="mc-name" href="{target}">王秀英</a>' in listing
    pool = unescape(c.get("/admin/pool/").get_data(as_text=True))
    assert f'class="mc-name" href="/admin/pool/details/?id={world.c_pool.id}"' in pool
    # the warehouse sees orders but not customers: the name is plain text there
    orders(world.c_sales1, world.sales1, 1, start=5)
    warehouse = as_user("warehouse").get("/admin/sales_order/").get_data(as_text=True)
    assert "王秀英" in warehouse and 'class="mc-name"' not in warehouse


def test_the_name_link_leaves_rename_to_its_pencil(as_user, world):
    """The name is a link; the pencil beside it is the inline editor (x-editable), which still
    renames through the rules."""
    c = as_user("sales1")
    listing = c.get("/admin/customer/").get_data(as_text=True)
    cell = re.search(
        rf'<a class="mc-name" href="[^"]*id={world.c_sales1.id}">.*?</a>\s*(<a [^>]*>)',
        listing,
        re.S,
    )
    assert 'data-role="x-editable"' in cell.group(1) and 'class="mc-rename' in cell.group(1)
    assert 'data-value="王秀英"' in cell.group(1)
    done = c.post(
        "/admin/customer/ajax/update/", {"list_form_pk": world.c_sales1.id, "name": "王秀芳"}
    )
    assert done.status_code == 200
    _code, html = page(c, world.c_sales1)
    assert 'data-testid="customer-name">王秀芳<' in html


def test_every_list_of_the_page_searches_an_index(app, world):
    """The page of a busy customer, as a salesperson, a store clerk and the owner role: no
    statement walks a big table (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL)."""
    from admin_views.customers import CustomerView
    from models import Customer

    with system():
        grid_data.load(world)
        busiest = (
            SalesOrder.select(SalesOrder.customer)
            .join(Customer, on=SalesOrder.customer == Customer.id)
            .where(Customer.owner == world.sales1.id)
            .group_by(SalesOrder.customer)
            .order_by(fn.COUNT(SalesOrder.id).desc())
            .first()
            .customer_id
        )
    view = next(v for v in app.extensions["admin"][0]._views if isinstance(v, CustomerView))
    big = (
        "sales_order",
        "follow_up",
        "follow_up_task",
        "points_entry",
        "ownership_change",
        "customer",
    )
    problems, checked = [], 0
    for person in (world.sales1, world.owner, world.store1):
        with app.test_request_context(f"/admin/customer/details/?id={busiest}"), system():
            g.actor = actor_of(person)
            customer = Customer.get_by_id(busiest)
            with statements() as log:
                view._lists(customer)
                view._facts(customer)
            for sql, params in log:
                for line in plan(sql, params):
                    walks = re.search(r"^SCAN (\w+)(?! USING)|Seq Scan on (\w+)", line)
                    if walks and (walks.group(1) or walks.group(2)) in big:
                        problems.append(f"{person.username}: {line} in {sql}")
                checked += 1
    assert checked >= 15
    assert not problems, "\n".join(problems)


def test_narrowing_the_scope_to_one_customer_keeps_the_same_rows(app, world):
    """The page narrows each scope subquery to its customer; every role gets exactly the rows
    the unnarrowed scope gives within that customer."""
    from admin_views.customer_page import _scoped
    from rules.scope import visible

    orders(world.c_sales2, world.sales1, 2)
    orders(world.c_sales2, world.sales2, 2, start=10)
    orders(world.c_store1, world.store1, 2, start=20)
    follow_ups(world.c_sales2, world.sales1, 2)
    follow_ups(world.c_store1, world.store1, 1)
    open_task(world.c_sales2, world.sales1)
    compared = 0
    for person in (world.sales1, world.sales2, world.store1, world.store2, world.owner):
        for customer in (world.c_sales1, world.c_sales2, world.c_store1):
            for model in (SalesOrder, FollowUp, FollowUpTask):
                with app.test_request_context("/"), system():
                    g.actor = actor_of(person)
                    base = model.customer == customer.id
                    whole = visible(model.select(model.id), model, g.actor, base=base)
                    assert {r.id for r in _scoped(model, customer.id)} == {r.id for r in whole}
                    compared += bool(list(whole))
    assert compared >= 8  # not only empty lists


def test_the_profile_shows_filled_fields_and_names_the_empty_ones_once(as_user, world):
    """The profile lists what is filled in; the empty fields are named in one line (zh_CN),
    not shown as a column of blank rows."""
    c = as_user("sales1")
    c.post("/locale", {"locale": "zh_CN"})
    _code, html = page(c, world.c_sales1)
    profile = re.search(r'data-testid="profile">(.*?)</dl>', html, re.S).group(1)
    assert "13900000001" in profile and "微信" not in profile
    empty = re.search(r'data-testid="profile-empty">([^<]*)<', html).group(1)
    assert empty.startswith("未填写") and "微信" in empty and "手机号" not in empty
