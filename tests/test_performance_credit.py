"""A3, A5: the performance report by the shop's calendar, per person, and the store clerk who
served a store sale credited as its salesperson."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from models import Customer, SalesOrder, StockMove, db
from rules.ownership import claim
from rules.reports import performance
from tests.conftest import actor_of, make_staff, system
from tests.test_discount_lines import create_by_form, http_step, order_form
from tests.test_sales import acting, at_state, new_order, reload, step


def paid_at(order, moment: datetime) -> None:
    with system():
        row = reload(order)
        row.paid_at = moment
        row.save()


def report(world, by="owner", grain="month", start=None, end=None):
    with db.connection_context():
        return performance(actor_of(world.owner), by, grain, start, end)


def test_a_sale_at_seven_in_beijing_counts_on_the_local_day(as_user, world):
    order = at_state(world, "paid")
    paid_at(order, datetime(2026, 11, 30, 23, 0))  # 2026-12-01 07:00 in Asia/Shanghai
    assert [r["period"] for r in report(world)] == ["2026-12"]
    assert [r["period"] for r in report(world, grain="day")] == ["2026-12-01"]
    assert [r["period"] for r in report(world, grain="year")] == ["2026"]
    day = datetime(2026, 12, 1).date()
    assert len(report(world, start=day, end=day)) == 1
    assert report(world, end=datetime(2026, 11, 30).date()) == []
    page = as_user("owner").get("/admin/performance/?grain=day&start=2026-12-01&end=2026-12-01")
    assert "2026-12-01" in page.get_data(as_text=True)


def test_a_zone_that_changes_its_offset_is_followed(world):
    """The SQLite path shifts piece by piece across a daylight-saving change."""
    import rules

    berlin = rules.settings().model_copy(
        update={"app": rules.settings().app.model_copy(update={"timezone": "Europe/Berlin"})}
    )
    winter, summer = at_state(world, "paid"), at_state(world, "paid")
    paid_at(winter, datetime(2026, 1, 31, 23, 30))  # 00:30 on 1 Feb in Berlin (UTC+1)
    paid_at(summer, datetime(2026, 6, 30, 22, 30))  # 00:30 on 1 Jul in Berlin (UTC+2)
    before = rules.policy.settings
    rules.policy.settings = berlin
    try:
        periods = sorted(r["period"] for r in report(world, grain="day"))
    finally:
        rules.policy.settings = before
    assert periods == ["2026-02-01", "2026-07-01"]


def test_two_people_with_the_same_name_are_two_rows(as_user, world):
    with system():
        twin = make_staff("sales3", "salesperson")
        twin.display_name = world.sales1.display_name
        twin.save()
        theirs = world.customer("赵敏", "13900000009", owner=twin)
    at_state(world, "paid")
    order = new_order(world, person=twin, customer=theirs)
    for person in (twin, world.supervisor, world.finance):
        order = step(person, order)
    rows = report(world)
    assert sorted(r["person_id"] for r in rows) == sorted([world.sales1.id, twin.id])
    assert [(r["person"], r["orders"], r["amount"]) for r in rows] == [
        (world.sales1.display_name, 1, Decimal("396.00"))
    ] * 2
    page = as_user("owner").get("/admin/performance/").get_data(as_text=True)
    assert page.count(f"<td>{world.sales1.display_name}</td>") == 2


def test_a_store_sale_credits_the_clerk_who_served_it(as_user, world):
    """A5 end to end: a store customer claimed by one clerk, served by another."""
    with system():
        clerk = make_staff("store1b", "store_staff", world.s1)
        walk_in = world.customer("周芳", "13900000010", store=world.s1)  # the store's pool
        for place in (world.hq, world.s1):
            StockMove(
                product=world.product.id, location=place.id, quantity=10, kind="inbound"
            ).save()
    with db.connection_context(), acting(world.store1):
        claim(Customer.get_by_id(walk_in.id))
    with system():
        assert Customer.get_by_id(walk_in.id).salesperson_id == world.store1.id
    served_by = as_user("store1b")
    order = create_by_form(served_by, order_form(world, customer=walk_in))
    order = http_step(served_by, order, "submitted")
    order = http_step(as_user("supervisor"), order, "verified")
    order = http_step(as_user("finance"), order, "paid")
    order = http_step(as_user("warehouse"), order, "shipped")
    assert order.status == "shipped"
    assert (order.credit_owner_id, order.credit_salesperson_id) == (world.store1.id, clerk.id)
    owner = as_user("owner")
    by_seller = owner.get("/admin/performance/?by=salesperson").get_data(as_text=True)
    by_owner = owner.get("/admin/performance/?by=owner").get_data(as_text=True)
    assert "<td>Store1B</td>" in by_seller and "<td>Store1</td>" not in by_seller
    assert "<td>Store1</td>" in by_owner and "<td>Store1B</td>" not in by_owner
    with system():
        assert SalesOrder.get_by_id(order.id).store_id == world.s1.id
