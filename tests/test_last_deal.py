"""A4: a paid order sets the customer's last deal, written as SYSTEM on finance's behalf, and
the reclaim job then spares the customer for `exempt_recent_deal_days`."""

from __future__ import annotations

from datetime import timedelta

import pytest

import rules
from models import AuditLog, Customer, db
from models.audit import utcnow
from tests.conftest import system
from tests.test_discount_lines import create_by_form, http_step, order_form
from tests.test_reclaim import owner_of, run, start_clocks
from tests.test_sales import acting, stock


def test_a_paid_order_keeps_the_customer_from_being_reclaimed(as_user, world):
    start_clocks(world.c_sales1, world.c_sales2, at=utcnow())
    stock(world)
    sales1 = as_user("sales1")
    order = create_by_form(sales1, order_form(world))
    order = http_step(sales1, order, "submitted")
    order = http_step(as_user("supervisor"), order, "verified")
    order = http_step(as_user("finance"), order, "paid")
    assert order.status == "paid"
    with system():
        customer = Customer.get_by_id(world.c_sales1.id)
        assert customer.last_deal_at == order.paid_at
        entry = AuditLog.history("customer", customer.id)[0]
    assert (entry.actor_name, entry.actor_id, entry.on_behalf_of) == ("system", None, "finance")
    assert entry.via_parts == ("sales_order", "confirm_payment", order.number)  # issue 8: action
    assert list(entry.change_dict) == ["last_deal_at"]
    # 40 days on, with no follow-up: past the 30-day limit, inside the 90-day exemption
    assert "1 returned" in run(utcnow() + timedelta(days=40))
    assert owner_of(world.c_sales1) == world.sales1.id  # bought recently: kept
    assert owner_of(world.c_sales2) is None  # never bought: reclaimed


def test_the_customer_history_says_whom_the_system_wrote_for(as_user, world):
    stock(world)
    sales1 = as_user("sales1")
    order = create_by_form(sales1, order_form(world))
    for who, state in (("sales1", "submitted"), ("supervisor", "verified"), ("finance", "paid")):
        order = http_step(as_user(who) if who != "sales1" else sales1, order, state)
    page = as_user("owner").get(f"/admin/customer/details/?id={world.c_sales1.id}")
    details, history = page.get_data(as_text=True).split('data-testid="history"')
    assert "Finance" in history and order.number in history  # by display name
    local = order.paid_at + timedelta(hours=8)  # Asia/Shanghai
    assert f"{local:%Y-%m-%d %H:%M}" in details.split("最近购买")[1][:200]  # "Last purchase"


@pytest.mark.parametrize("who", ["sales1", "owner"])
def test_nobody_sets_a_last_purchase_by_hand(world, who):
    """It would spare the customer from reclaim without a sale."""
    with db.connection_context(), acting(getattr(world, who)):
        row = Customer.get_by_id(world.c_sales1.id)
        row.last_deal_at = utcnow()
        with pytest.raises(rules.RuleViolation, match="when an order is paid"):
            row.save()
    with system():
        assert Customer.get_by_id(world.c_sales1.id).last_deal_at is None


def test_cancelling_a_paid_order_takes_its_purchase_back(world):
    """Going back undoes going forward: the earlier purchase stands, this one goes."""
    from rules.approval import cancel
    from tests.test_sales import at_state, step

    first = at_state(world, "shipped")
    second = at_state(world, "paid")
    with system():
        assert Customer.get_by_id(world.c_sales1.id).last_deal_at == second.paid_at
    step(world.finance, second, cancel, "客户退单")  # issue 8: after payment, finance's
    with system():
        assert Customer.get_by_id(world.c_sales1.id).last_deal_at == first.paid_at
        entry = AuditLog.history("customer", world.c_sales1.id)[0]
    assert (entry.on_behalf_of, entry.via_parts[1]) == ("finance", "cancel")
