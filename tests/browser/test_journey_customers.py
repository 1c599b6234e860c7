"""Customer journey (A1, A4, C1): a salesperson adds a customer, a colleague's duplicate is
refused, a follow-up is logged, the reclaim job runs at a later clock, the customer appears in
the pool and another salesperson claims it.

Every step runs in the real browser as the real person (English UI for stable text); the
database is only read to check what the screens claim, and the reclaim job runs in-process at
a clock 40 days after the follow-up (the limit for a "normal" customer is 30 days).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from models import Customer, FollowUp, Notification, OwnershipChange
from tasks import JOBS
from tests.browser.journey import act_as, path_of, save_form, shoot
from tests.conftest import system

NAME = "赵美玲"
TYPED_PHONE = "139 1234 5678"
DUPLICATE_PHONE = "+86 139-1234-5678"
PHONE = "13912345678"  # as stored and shown


def list_phones(page) -> list[str]:
    """The phone column of the grid on screen (empty when the grid has no rows)."""
    return [t.strip() for t in page.locator("table.model-list td.col-phone").all_inner_texts()]


def customers_with_phone(phone: str) -> list[Customer]:
    with system():
        return list(Customer.select().where(Customer.phone == phone))


def test_customer_added_refused_followed_up_reclaimed_and_claimed(live_server, page, world):
    base = live_server
    with system():
        customers_before = Customer.select().count()

    # 1. sales1 adds a customer; the phone is stored and shown normalised.
    act_as(page, base, "sales1")
    page.goto(base + "/admin/customer/new/")
    page.fill("#name", NAME)
    page.fill("#phone", TYPED_PHONE)
    page.select_option("#gender", "F")
    page.fill("#address", "上海市徐汇区漕溪北路88号")
    save_form(page)
    assert path_of(page) == "/admin/customer/", page.url
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator("table.model-list")).to_contain_text(PHONE)
    assert PHONE in list_phones(page)
    [row] = customers_with_phone(PHONE)
    cid = row.id
    assert row.name == NAME and row.owner_id == world.sales1.id and row.clock_start

    # 2. sales2 tries the same mobile written another way: refused, naming the owner.
    act_as(page, base, "sales2")
    page.goto(base + "/admin/customer/new/")
    page.fill("#name", "赵美玲二")
    page.fill("#phone", DUPLICATE_PHONE)
    page.select_option("#gender", "F")
    page.fill("#address", "上海市长宁区")
    save_form(page)
    assert path_of(page) == "/admin/customer/new/", page.url
    phone_group = page.locator(".form-group", has=page.locator("#phone"))
    expect(phone_group).to_contain_text("This phone already belongs to a customer owned by Sales1.")
    shoot(page, "journey_customers_duplicate.png")
    expect(page.locator("#name")).to_have_value("赵美玲二")  # what was typed is kept
    assert len(customers_with_phone(PHONE)) == 1
    with system():
        assert Customer.select().count() == customers_before + 1
        assert Customer.get_by_id(cid).owner_id == world.sales1.id

    # 3. sales1 logs a follow-up from the customer's details page.
    act_as(page, base, "sales1")
    details = f"{base}/admin/customer/details/?id={cid}"
    page.goto(details)
    expect(page.get_by_test_id("profile")).to_contain_text(PHONE)
    with page.expect_navigation():
        page.get_by_test_id("log-followup").click()
    assert path_of(page) == "/admin/follow_up/new/", page.url
    expect(page.locator("#customer")).to_have_value(str(cid))  # preselected
    today = datetime.now(UTC).date()  # the server checks dates against UTC today
    next_on, end_on = today + timedelta(days=14), today + timedelta(days=30)
    page.fill("#users_count", "2")
    page.fill("#amount_per_person", "每日两粒")
    page.select_option("#adverse_reaction", "0")
    page.fill("#expectations", "改善睡眠")
    for field, day in (("#estimated_end_on", end_on), ("#next_followup_on", next_on)):
        page.fill(field, day.isoformat())
        page.press(field, "Tab")  # closes the date picker, as a person typing would
    expect(page.locator(".daterangepicker:visible")).to_have_count(0)
    save_form(page)
    expect(page.locator(".alert-danger")).to_have_count(0)
    assert path_of(page) == "/admin/customer/details/", page.url  # back where it started
    with system():
        [followup] = list(FollowUp.select().where(FollowUp.customer == cid))
        assert followup.staff_id == world.sales1.id
        assert followup.users_count == 2 and followup.amount_per_person == "每日两粒"
        assert followup.adverse_reaction is False and followup.expectations == "改善睡眠"
        assert followup.next_followup_on == next_on and followup.estimated_end_on == end_on
        customer = Customer.get_by_id(cid)
        assert customer.last_followup_at == followup.at
        assert customer.clock_start == followup.at
        assert customer.next_followup_on == next_on

    # 4. The nightly reclaim job, 40 days after the follow-up, returns the customer to the pool.
    later = followup.at + timedelta(days=40)
    summary = JOBS["reclaim_customers"].run(later)
    assert "1 returned to the pool" in summary, summary
    with system():
        customer = Customer.get_by_id(cid)
        assert customer.owner_id is None and customer.store_id is None
        assert customer.previous_owner_id == world.sales1.id
        assert customer.released_at == later
        assert Customer.get_by_id(world.c_sales1.id).owner_id == world.sales1.id  # not due
        note = Notification.get(Notification.recipient == world.sales1.id)
        assert note.read_at is None

    # 5. sales1 sees the unread badge, and the customer is gone from their list.
    page.goto(base + "/admin/")
    expect(page.get_by_test_id("unread")).to_have_text("1")
    page.goto(base + "/admin/customer/")
    expect(page.locator("table.model-list")).to_contain_text(world.c_sales1.phone)
    assert PHONE not in list_phones(page)
    expect(page.get_by_test_id("unread")).to_have_text("1")  # still unread: not opened yet

    # 6. sales2 claims the customer from the pool.
    act_as(page, base, "sales2")
    page.goto(base + "/admin/pool/")
    expect(page.get_by_test_id("pool-help")).to_be_visible()
    masked = PHONE[:3] + "****" + PHONE[-4:]  # pool numbers are masked until claimed
    row = page.locator("table.model-list tbody tr", has=page.locator(f"td:text-is('{masked}')"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(NAME)
    expect(row).to_contain_text("Sales1")  # previous owner
    shoot(page, "journey_customers_pool.png")
    page.check(f"input.action-checkbox[value='{cid}']")
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    claim_item = page.locator(".dropdown-menu a[onclick*=\"'claim'\"]")
    menu = page.locator("li.nav-item.dropdown", has=claim_item)
    menu.locator("a.dropdown-toggle").click()
    expect(claim_item).to_be_visible()
    expect(claim_item).to_have_text("Claim")
    with page.expect_navigation():
        claim_item.click()
    page.remove_listener("dialog", accept)
    assert dialogs == ["Take the selected customers as your own?"]
    assert path_of(page) == "/admin/pool/", page.url
    expect(page.locator(".alert-success")).to_contain_text("Claimed: 1 of 1 selected records done.")
    expect(page.locator(".alert-danger")).to_have_count(0)
    assert masked not in list_phones(page)
    page.goto(base + "/admin/customer/")
    assert PHONE in list_phones(page)
    with system():
        customer = Customer.get_by_id(cid)
        assert customer.owner_id == world.sales2.id and customer.clock_start

    # 7. sales2 reads the ownership history on the details page.
    page.goto(details)
    expect(page.get_by_test_id("profile")).to_contain_text(PHONE)
    history = page.get_by_test_id("ownership")
    expect(history).to_be_visible()
    rows = history.locator("tbody tr")
    expect(rows).to_have_count(3)
    shown = []
    for i in range(rows.count()):
        cells = [t.strip() for t in rows.nth(i).locator("td").all_inner_texts()]
        shown.append(tuple(cells[1:]))  # what, from, to, by
    assert sorted(shown) == sorted(
        [
            ("Entered", "Public pool", "Sales1", "sales1"),  # reasons and the system spelled out
            ("Returned to the pool", "Sales1", "Public pool", "System"),
            ("Claimed", "Public pool", "Sales2", "sales2"),
        ]
    ), shown
    with system():  # the order things happened in: created -> reclaim -> claim
        changes = OwnershipChange.select().where(OwnershipChange.customer == cid)
        reasons = [c.reason for c in changes.order_by(OwnershipChange.id)]
    assert reasons == ["created", "reclaim", "claim"]
    expect(page.get_by_test_id("log-followup")).to_be_visible()  # sales2 owns it now
    shoot(page, "journey_customers_details.png")
