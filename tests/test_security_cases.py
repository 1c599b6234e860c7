"""Security cases written by hand: scope and role rules with a business meaning of their own
(issue 2 §7, issue 7). The sweep over every registered route, generated from the app, is
tests/test_security.py."""

from __future__ import annotations

import re

from models import AuditLog, Customer, JobRun, Staff
from tests.conftest import Client, system


def _customer_state():
    with system():
        return sorted((c.id, c.name, c.phone, c.owner_id) for c in Customer.select())


def test_login_logout_and_locale_need_csrf(client, world):
    assert (
        client.post("/login", {"username": "sales1", "password": "x"}, csrf=False).status_code
        == 400
    )
    assert client.post("/locale", {"locale": "en"}, csrf=False).status_code == 400


def _other_scope_cases(world):
    # (user, a customer outside their scope)
    return [
        ("sales2", world.c_sales1),
        ("sales1", world.c_store1),
        ("store1", world.c_store2),
        ("store1", world.c_sales1),
        ("store2", world.c_pool),
    ]


def test_another_scopes_row_is_invisible_on_every_endpoint(as_user, world):
    for username, row in _other_scope_cases(world):
        c = as_user(username)
        pk = row.id
        listing = c.get("/admin/customer/").get_data(as_text=True)
        assert row.phone not in listing, f"{username} sees {row.name} in the list"
        searched = c.get(f"/admin/customer/?search={row.phone}").get_data(as_text=True)
        assert row.name not in searched
        for url in (f"/admin/customer/details/?id={pk}", f"/admin/customer/edit/?id={pk}"):
            response = c.get(url, follow_redirects=True)
            assert row.phone not in response.get_data(as_text=True), f"{username} opened {url}"
        for kind in ("csv", "xlsx"):
            export = c.get(f"/admin/customer/export/{kind}/")
            assert export.status_code == 200
            assert row.phone.encode() not in export.data, f"{username} exported {row.name}"
        before = _customer_state()
        c.post(
            f"/admin/customer/edit/?id={pk}",
            {"name": "HACK", "phone": row.phone, "gender": "F", "address": "x"},
        )
        c.post("/admin/customer/ajax/update/", {"list_form_pk": pk, "name": "HACK"})
        for view in ("follow_up", "sales_order"):  # the type-ahead pickers (item 14)
            found = c.get(f"/admin/{view}/ajax/lookup/?name=customer&query={row.phone}")
            assert found.status_code == 200 and found.get_json() == [], (username, view)
        c.post("/admin/customer/delete/", {"id": pk})
        c.post("/admin/customer/action/", {"action": "delete", "rowid": pk})
        assert _customer_state() == before, f"{username} changed a row outside their scope"


def test_own_scope_is_visible(as_user, world):
    sales1 = as_user("sales1")
    listing = sales1.get("/admin/customer/").get_data(as_text=True)
    assert world.c_sales1.phone in listing and world.c_sales2.phone not in listing
    pool = sales1.get("/admin/pool/").get_data(as_text=True)
    assert "139****0003" in pool and world.c_sales1.phone not in pool  # masked (issue 7)
    store1 = as_user("store1")
    listing = store1.get("/admin/customer/").get_data(as_text=True)
    assert world.c_store1.phone in listing and world.c_pool.phone not in listing


def test_roles_without_permission_get_403(as_user, world):
    sales1 = as_user("sales1")
    for url in ("/admin/staff/", "/admin/audit_log/", f"/admin/staff/edit/?id={world.owner.id}"):
        assert sales1.get(url).status_code == 403, url
    # a salesperson may view but not delete customers (config: delete = owner)
    before = _customer_state()
    sales1.post("/admin/customer/delete/", {"id": world.c_sales1.id})
    sales1.post("/admin/customer/action/", {"action": "delete", "rowid": world.c_sales1.id})
    assert _customer_state() == before
    # products: view yes, edit no
    assert sales1.get("/admin/product/").status_code == 200
    response = sales1.post(
        "/admin/product/ajax/update/", {"list_form_pk": world.product.id, "name": "改"}
    )
    assert response.status_code == 403


def test_type_ahead_lookups_are_permission_checked_and_scoped(as_user, world):
    """Item 14: only people who may fill the form and see the picked table get results."""

    def status(who, view, name, query="1"):
        return who.get(f"/admin/{view}/ajax/lookup/?name={name}&query={query}").status_code

    marketing, warehouse, finance = as_user("marketing"), as_user("warehouse"), as_user("finance")
    assert status(marketing, "sales_order", "customer") == 403  # no sales orders at all
    assert status(warehouse, "sales_order", "customer") == 403  # may edit orders, not customers
    assert status(warehouse, "stock_move", "product") == 200
    assert status(as_user("sales1"), "stock_move", "product") == 403  # may not view stock
    assert status(as_user("owner"), "sales_order", "staff") == 404  # no such picker
    assert status(as_user("owner"), "customer", "owner") == 404
    # Finance may open an order to approve it, but registers no sales: no customer offered.
    assert finance.get("/admin/sales_order/ajax/lookup/?name=customer&query=1").get_json() == []
    # A see-all role's picker still offers only owned customers: never the pool's numbers.
    found = as_user("owner").get("/admin/sales_order/ajax/lookup/?name=customer&query=139")
    assert world.c_pool.phone not in found.get_data(as_text=True)
    assert world.c_sales2.phone in found.get_data(as_text=True)


def test_audit_log_cannot_be_edited_or_deleted_even_by_owner(as_user, world):
    owner = as_user("owner")
    with system():
        entry = AuditLog.select().first()
        count = AuditLog.select().count()
    assert owner.get(f"/admin/audit_log/edit/?id={entry.id}").status_code == 302
    owner.post("/admin/audit_log/delete/", {"id": entry.id})
    owner.post("/admin/audit_log/action/", {"action": "delete", "rowid": entry.id})
    with system():
        assert AuditLog.select().count() == count


def test_the_job_log_is_the_owners_and_read_only(as_user, world):
    """Issue 7 item 12: the owner sees every job run; nobody may change or delete one."""
    from tasks import JOBS

    JOBS["reclaim_customers"].run()
    with system():
        run = JobRun.get()
    for username in ("sales1", "supervisor", "finance", "warehouse", "store1"):
        c = as_user(username)
        for url in ("/admin/job_run/", f"/admin/job_run/details/?id={run.id}"):
            assert c.get(url).status_code == 403, (username, url)
        assert c.get("/admin/job_run/export/csv/").status_code == 403, username
    owner = as_user("owner")
    page = owner.get("/admin/job_run/").get_data(as_text=True)
    start = re.search(r"<table[^>]*model-list", page).start()
    grid = page[start : page.index("</table>", start)]
    assert "回收超期客户到公海" in grid and "退回公海: 0" in grid
    assert "returned_to_pool" not in grid and "reclaim_customers" not in grid
    export = owner.get("/admin/job_run/export/csv/").get_data(as_text=True)
    assert "returned_to_pool" not in export and "reclaim_customers" not in export
    assert owner.get(f"/admin/job_run/edit/?id={run.id}").status_code == 302
    assert owner.get("/admin/job_run/new/").status_code == 302
    owner.post("/admin/job_run/delete/", {"id": run.id})
    owner.post("/admin/job_run/action/", {"action": "delete", "rowid": run.id})
    owner.post("/admin/job_run/ajax/update/", {"list_form_pk": run.id, "outcome": "failed"})
    with system():
        assert JobRun.get_by_id(run.id).outcome == "ok"


SCRIPT = '<script>alert("x")</script>'


def test_output_is_escaped_in_list_details_and_history(as_user, world):
    with system():
        world.c_sales1.name = SCRIPT
        world.c_sales1.address = '"><img src=x onerror=alert(1)>'
        world.c_sales1.save()
    c = as_user("sales1")
    for url in ("/admin/customer/", f"/admin/customer/details/?id={world.c_sales1.id}", "/admin/"):
        page = c.get(url).get_data(as_text=True)
        assert SCRIPT not in page, url
        assert "<img src=x" not in page, url
    details = c.get(f"/admin/customer/details/?id={world.c_sales1.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in details


def test_403_for_logged_in_user_is_a_page_not_a_redirect_loop(as_user, world):
    response = as_user("store1").get("/admin/staff/")
    assert response.status_code == 403
    assert "access" in response.get_data(as_text=True) or "权限" in response.get_data(as_text=True)


def test_password_change_ends_existing_sessions(app, world):
    c = Client(app.test_client())
    c.login("sales1")
    cookie = c.c.get_cookie("session").value
    c.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    # the old cookie still decodes, but the user must not be able to change anything
    # once the password changes (sessions are tied to the password hash)
    with system():
        staff = Staff.get_by_id(world.sales1.id)  # reloaded: the login bumped its version
        staff.set_password("a-new-password-1")
        staff.save()
    assert replay.get("/admin/").status_code == 302


def test_assign_and_claim_need_csrf(as_user, world):
    before = _customer_state()
    owner = as_user("owner")
    data = {"ids": str(world.c_pool.id), "staff": world.sales1.id}
    assert owner.post("/admin/customer/assign/", data, csrf=False).status_code == 400
    sales = as_user("sales2")
    claim = {"action": "claim", "rowid": world.c_pool.id}
    assert sales.post("/admin/pool/action/", claim, csrf=False).status_code == 400
    assert _customer_state() == before


def test_assign_page_shows_only_rows_in_scope(as_user, world):
    # the owner role sees everything; a crafted id list from another scope is filtered for
    # anyone else because the page is closed to them altogether
    assert (
        as_user("sales1").get(f"/admin/customer/assign/?ids={world.c_sales2.id}").status_code == 403
    )


def test_follow_ups_and_tasks_are_scoped(as_user, world):
    from datetime import date, timedelta

    from models import FollowUp
    from rules.followups import generate_tasks

    with system():
        c = Customer.get_by_id(world.c_sales1.id)
        c.next_followup_on = date.today() - timedelta(days=1)
        c.save()
        generate_tasks(date.today())
    import rules
    from models import db
    from tests.conftest import actor_of

    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        FollowUp(
            customer=world.c_sales1.id,
            users_count=1,
            amount_per_person="1",
            adverse_reaction=False,
            expectations="好",
            estimated_end_on=date.today(),
            next_followup_on=date.today(),
        ).save()
    with system():
        fid = FollowUp.get().id
    other = as_user("sales2")
    assert "王秀英" not in other.get("/admin/follow_up/").get_data(as_text=True)
    assert "王秀英" not in other.get(
        f"/admin/follow_up/details/?id={fid}", follow_redirects=True
    ).get_data(as_text=True)
    assert "王秀英".encode() not in other.get("/admin/follow_up/export/csv/").data
    assert "王秀英" in as_user("sales1").get("/admin/follow_up/").get_data(as_text=True)


def test_assign_page_never_redirects_off_site(as_user, world):
    owner = as_user("owner")
    page = owner.get(
        f"/admin/customer/assign/?ids={world.c_pool.id}&url=javascript:alert(document.cookie)"
    ).get_data(as_text=True)
    assert 'href="javascript:alert' not in page
    response = owner.post(
        f"/admin/customer/assign/?ids={world.c_pool.id}",
        {"ids": str(world.c_pool.id), "staff": world.sales1.id, "url": "https://evil.example/x"},
    )
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_a_salesperson_cannot_change_a_customers_level(as_user, world):
    """Review finding: the level sets the reclaim limit, so salespeople may not raise it."""
    form = {
        "name": "王秀英",
        "phone": "13900000001",
        "gender": "F",
        "address": "上海市静安区",
        "level": "vip",
    }
    for who, level in (("sales1", "normal"), ("owner", "vip")):
        as_user(who).post(f"/admin/customer/edit/?id={world.c_sales1.id}", form)
        with system():
            assert Customer.get_by_id(world.c_sales1.id).level == level, who
