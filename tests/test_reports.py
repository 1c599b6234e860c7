"""Performance report (A3): credit per owner / store salesperson per period, scoped, exportable."""

from __future__ import annotations

from tests.test_sales import at_state, step


def test_report_credits_the_owner_at_the_time_of_sale(as_user, world):
    order = at_state(world, "paid")
    page = as_user("owner").get("/admin/performance/?by=owner&grain=month")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Sales1" in text and "396.00" in text
    by_clerk = as_user("owner").get("/admin/performance/?by=salesperson").get_data(as_text=True)
    assert "Sales1" in by_clerk  # a company customer: the owner is also the seller
    assert order.credit_owner_id == world.sales1.id


def test_report_is_scoped_and_exports_safely(as_user, world):
    at_state(world, "paid")
    assert "Sales1" not in as_user("sales2").get("/admin/performance/").get_data(as_text=True)
    export = as_user("owner").get("/admin/performance/export.csv?by=owner")
    assert export.data.startswith("\ufeff".encode()) and b"396.00" in export.data
    assert as_user("sales1").get("/admin/performance/export.csv").status_code == 403


def test_unpaid_orders_do_not_count(as_user, world):
    step(world.sales1, at_state(world, "draft"))
    text = as_user("owner").get("/admin/performance/").get_data(as_text=True)
    assert 'data-testid="performance"' not in text


def test_report_needs_login(client, world):
    assert client.get("/admin/performance/").status_code == 302
