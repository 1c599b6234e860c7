"""The home page guides each role (issue 9 item 7; A2, A4, B2, C1, C2): its numbers link to
the grids showing exactly those rows; the owner and the sales supervisor see this month's sales
against last month's and a weekly chart; recent activity is told in plain words, in the
person's language and scope; every statement the page runs searches an index."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from models import (
    AdverseCase,
    Customer,
    FollowUp,
    FollowUpTask,
    SalesOrder,
    StockBalance,
    Transition,
    db,
)
from models.audit import utcnow
from rules import local_today
from rules.reports import sales_summary, utc_of_local_day
from tests import grid_data
from tests.conftest import actor_of, system
from tests.test_grid_plans import plan, statements
from tests.test_sales import new_order, step
from tests.test_sales_pickup import to_paid

NUMBER = re.compile(
    r'href="([^"]+)" data-testid="number-(\w+)">\s*<div class="card-body p-2">\s*'
    r'<div class="count[^"]*">(\d+)</div>'
)


def page(client, url="/admin/") -> str:
    return client.get(url).get_data(as_text=True)


def numbers(client) -> dict[str, tuple[int, str]]:
    return {key: (int(n), html.unescape(url)) for url, key, n in NUMBER.findall(page(client))}


def grid_rows(client, url: str) -> int:
    """Rows of a grid page (one <tr> per record after the list's header)."""
    body = page(client, url)
    if 'model-list">' not in body:
        assert 'data-testid="empty"' in body or "mc-empty" in body, url
        return 0
    rows = body.split('model-list">', 1)[1].split("</thead>", 1)[1].split("</table>", 1)[0]
    return len(re.findall(r"<tr\b", rows)) - len(re.findall(r"<td colspan=", rows))  # "no rows"


@pytest.fixture
def busy(world):
    """Tasks due and overdue for two salespeople, a customer about to be reclaimed, an open
    adverse case and an empty shelf (the World's customers all lack a soft-required field)."""
    today = local_today()
    with system():
        follow = FollowUp.create(
            customer=world.c_sales2.id,
            staff=world.sales2.id,
            adverse_reaction=True,
            adverse_details="皮疹",
            users_count=1,
            amount_per_person="1",
            expectations="无",
            estimated_end_on=today,
            next_followup_on=today + timedelta(days=9),
        )
        rows = [
            (world.c_sales1, world.sales1, today - timedelta(days=3)),
            (world.c_sales1, world.sales1, today),
            (world.c_sales1, world.sales1, today + timedelta(days=4)),
            (world.c_sales2, world.sales2, today - timedelta(days=1)),
            (world.c_store1, world.store1, today),
        ]
        for customer, person, due in rows:
            FollowUpTask.create(
                customer=customer.id, assignee=person.id, reason="interval", due_on=due
            )
        soon = Customer.get_by_id(world.c_sales1.id)
        soon.clock_start = utcnow() - timedelta(days=27)  # 3 days left of 30
        soon.save()
        StockBalance.insert(product=world.product.id, location=world.hq.id, on_hand=0).execute()
    assert AdverseCase.select().where(AdverseCase.follow_up == follow.id).exists()
    return world


def test_each_role_sees_its_numbers_and_each_leads_to_exactly_those_rows(as_user, busy):
    seen = {}
    for who in ("sales1", "sales2", "store1", "owner", "supervisor", "finance", "warehouse"):
        client = as_user(who)
        seen[who] = found = numbers(client)
        for key, (count, url) in found.items():
            assert grid_rows(client, url) == count, (who, key, url)
    assert seen["sales1"]["overdue"][0] == 1 and seen["sales1"]["due_today"][0] == 1
    assert seen["sales1"]["returns_soon"][0] == 1 and seen["sales1"]["incomplete"][0] == 1
    assert seen["sales2"]["overdue"][0] == 1 and seen["sales2"]["due_today"][0] == 0
    assert seen["sales2"]["returns_soon"][0] == 0 and "open_cases" not in seen["sales2"]
    assert seen["store1"]["due_today"][0] == 1 and seen["store1"]["returns_soon"][0] == 0
    # the see-all roles count every row of their grid
    assert seen["owner"]["overdue"][0] == 2 and seen["owner"]["due_today"][0] == 2
    assert seen["owner"]["returns_soon"][0] == 1 and seen["owner"]["open_cases"][0] == 1
    assert seen["supervisor"]["open_cases"][0] == 1 and seen["owner"]["out_of_stock"][0] == 1
    assert set(seen["warehouse"]) == {"out_of_stock"}  # no customer or task grid
    assert "returns_soon" not in seen["finance"]  # sees customers, does not keep them


def test_sales_this_month_against_last_month_and_the_weekly_chart(as_user, world):
    """Paid orders count on the day they are paid, in the shop's calendar; only the owner and
    the sales supervisor see the panel."""
    today = local_today()
    month = today.replace(day=1)
    last = (month - timedelta(days=1)).replace(day=1)
    paid = [to_paid(world, new_order(world)) for _ in range(3)]
    with system():
        # one paid at the first moment of this month, one on the 1st of last month
        SalesOrder.update(paid_at=utc_of_local_day(month)).where(
            SalesOrder.id == paid[0].id
        ).execute()
        SalesOrder.update(paid_at=utc_of_local_day(last)).where(
            SalesOrder.id == paid[1].id
        ).execute()
        SalesOrder.update(paid_at=utc_of_local_day(month) - timedelta(seconds=1)).where(
            SalesOrder.id == paid[2].id
        ).execute()  # the last second of last month
        new_order(world)  # a draft never counts
        summary = sales_summary(actor_of(world.owner), today)
    amount = paid[0].total
    assert summary["this_month"] == amount and summary["last_month"] == 2 * amount
    assert summary["last_month_to_date"] == amount  # the 1st of last month is within any day
    assert len(summary["weeks"]) == 12 and summary["weeks"][-1][0] <= today
    assert sum((total for _start, total in summary["weeks"]), Decimal(0)) == 3 * amount
    home = page(as_user("owner"))
    assert (
        'data-testid="sales-chart"' in home
        and "<rect" in home
        and "<script" not in home.split('data-testid="sales"')[1].split("</svg>")[0]
    )
    assert f"¥{amount:,.2f}" in home.split('data-testid="sales-this-month">')[1][:40]
    assert 'data-testid="sales"' in page(as_user("supervisor"))
    for who in ("sales1", "finance", "store1"):
        assert 'data-testid="sales"' not in page(as_user(who)), who


def test_recent_activity_speaks_plain_words_in_both_languages(as_user, world):
    order = step(world.sales1, new_order(world))  # sales1 submits
    order = step(world.supervisor, order)  # the supervisor verifies
    sales1 = as_user("sales1")
    zh = page(sales1)
    assert f"Sales1 提交了 {order.number}" in zh
    assert (
        "update" not in zh.split('data-testid="activity"')[1]
        and "#" not in zh.split('data-testid="activity"')[1].split("</ul>")[0]
    )
    sales1.post("/locale", {"locale": "en", "next": "/admin/"})
    en = page(sales1)
    assert f"Sales1 submitted {order.number}" in en
    assert f"Sales1 added Sales order {order.number}" in en
    supervisor = page(as_user("supervisor"))
    assert f"Supervisor 审核通过了 {order.number}" in supervisor
    assert f"Sales1 提交了 {order.number}" in supervisor  # see-all: the team's activity


def test_a_salesperson_sees_only_their_own_activity(as_user, world):
    mine = step(world.sales1, new_order(world))
    theirs = step(world.sales2, new_order(world, world.sales2, world.c_sales2))
    step(world.supervisor, mine)  # someone else's step on my order
    one = page(as_user("sales1")).split('data-testid="activity"')[1]
    assert mine.number in one and theirs.number not in one and "Supervisor" not in one
    two = page(as_user("sales2")).split('data-testid="activity"')[1]
    assert theirs.number in two and mine.number not in two
    store = page(as_user("store1"))
    assert mine.number not in store and theirs.number not in store


def test_every_home_page_statement_searches_an_index(app, as_user, world):
    """On enough rows, for each role: no statement walks a big table, and none counts a
    whole one; the recent-activity lists walk the time index under their LIMIT."""
    with system():
        grid_data.load(world)
        Transition.insert_many(
            [
                {"model": "sales_order", "record_id": i, "from_state": "draft"}
                | {
                    "to_state": "submitted",
                    "by_id": world.sales1.id,
                    "by_name": "x",
                    "at": utcnow(),
                }
                for i in range(1, 3000)
            ]
        ).execute()
        db.execute_sql("ANALYZE" if db.obj.param == "?" else "VACUUM ANALYZE")
        big = {
            t
            for t in ("customer", "sales_order", "follow_up", "follow_up_task", "audit_log")
            + ("transition", "stock_move", "notification", "adverse_case")
        }
    problems, checked = [], 0
    for who in ("owner", "sales1", "store1", "supervisor", "finance", "warehouse", "marketing"):
        client = as_user(who)
        with statements() as log:
            assert client.get("/admin/").status_code == 200
        for sql, params in log:
            tables = set(re.findall(r'FROM "(\w+)"', sql)) & big
            if not tables or sql.startswith(("INSERT", "UPDATE", "DELETE")):
                continue
            checked += 1
            lines = plan(sql, params)
            for line in lines:
                if re.match(r"^SCAN \w+$", line) or "Seq Scan" in line:
                    problems.append(f"{who}: walks a table: {line} in {sql[:160]}")
                elif line.startswith("SCAN") and (
                    sql.startswith("SELECT COUNT") or " LIMIT " not in sql
                ):
                    problems.append(f"{who}: walks a whole index: {line} in {sql[:160]}")
    assert checked >= 40
    assert not problems, "\n".join(problems)
