"""Issue 8 item 7: the record page is where work happens. The details page of any workflow
record (sales B2, and the test-only ticket process) shows exactly the steps this person may take
now (computed by the engine), takes them through one CSRF-checked endpoint with step forms in
place, shows the history as a timeline and what waits on whom; the bulk menu lists only the
steps the person could take."""

from __future__ import annotations

import re

import pytest

from models import db
from rules.i18n import speaking
from tests import ticket_process
from tests.conftest import Client, make_staff, system
from tests.test_sales import at_state, new_order, reload, step, stock
from tests.test_step_forms import EXPRESS, SHIP
from tests.test_workflow_generic import PROCESS, act, new_ticket
from tests.test_workflow_generic import app as ticket_app  # noqa: F401 (fixture)

STEP = re.compile(r'data-testid="step-(\w+)"')


def buttons(client, table, record_id) -> list[str]:
    page = client.get(f"/admin/{table}/details/?id={record_id}")
    assert page.status_code == 200
    return STEP.findall(page.get_data(as_text=True))


# Who sees which buttons on an order entered by sales1, at each state (B2: config.toml).
SALES = [
    ("draft", "sales1", ["submit", "cancel"]),
    ("draft", "owner", ["cancel"]),
    ("draft", "supervisor", []),
    ("submitted", "supervisor", ["verify", "reject"]),
    ("submitted", "sales1", ["cancel"]),
    ("submitted", "finance", []),
    ("verified", "finance", ["confirm_payment", "reject"]),
    ("verified", "supervisor", []),  # took the step before: no self-approval
    ("verified", "warehouse", []),
    ("paid", "warehouse", ["ship"]),
    ("paid", "finance", ["reject", "cancel"]),
    ("paid", "owner", []),
    ("shipped", "warehouse", []),
    ("shipped", "owner", []),
]


@pytest.mark.parametrize("state,who,expected", SALES)
def test_sales_page_shows_exactly_the_allowed_steps(as_user, world, state, who, expected):
    order = at_state(world, state)
    assert buttons(as_user(who), "sales_order", order.id) == expected


def test_taking_a_step_from_the_page_needs_csrf(as_user, world):
    order = step(world.sales1, new_order(world))
    c = as_user("supervisor")
    url = f"/admin/sales_order/take/?id={order.id}"
    assert c.post(url, {"action": "verify"}, csrf=False).status_code == 400
    assert reload(order).status == "submitted"
    page = c.post(url, {"action": "verify", "note": "属实"}, follow_redirects=True)
    assert reload(order).status == "verified"
    assert "属实" in page.get_data(as_text=True)  # the note, in the timeline


def test_a_refused_step_comes_back_next_to_its_field(as_user, world):
    stock(world)
    order = new_order(world, **EXPRESS)
    for person in (world.sales1, world.supervisor, world.finance):
        order = step(person, order)
    c = as_user("warehouse")
    url = f"/admin/sales_order/take/?id={order.id}"
    page = c.post(url, {"action": "ship", "courier": "顺丰速运", "tracking_no": ""})
    html = page.get_data(as_text=True)
    assert reload(order).status == "paid"
    assert 'data-testid="error-tracking_no"' in html
    assert re.search(r"<details[^>]*data-action=\"ship\"[^>]*open", html)  # stays open
    assert 'value="顺丰速运" selected' in html  # what was typed is kept
    c.post(url, {"action": "ship", **SHIP}, follow_redirects=True)
    assert (reload(order).status, reload(order).tracking_no) == ("shipped", SHIP["tracking_no"])


def test_a_step_on_a_record_out_of_scope_is_refused(as_user, world):
    order = step(world.sales1, new_order(world))
    c = as_user("sales2")  # not their customer's order
    c.post(f"/admin/sales_order/take/?id={order.id}", {"action": "cancel", "note": "x"})
    assert reload(order).status == "submitted"


def test_a_reason_step_without_a_reason_is_refused_in_place(as_user, world):
    order = step(world.sales1, new_order(world))
    html = (
        as_user("supervisor")
        .post(f"/admin/sales_order/take/?id={order.id}", {"action": "reject", "note": " "})
        .get_data(as_text=True)
    )
    assert reload(order).status == "submitted"
    assert 'data-testid="error-note"' in html


def test_timeline_and_waiting_on_in_both_languages(as_user, world):
    order = at_state(world, "verified")
    with system():
        world.finance.display_name = "钱会计"
        world.finance.save()
    c = as_user("owner")
    for lang, words in [
        ("zh_CN", ["提交", "审核通过", "草稿", "已提交", "Sales1", "Supervisor", "确认收款",
                   "钱会计"]),
        ("en", ["Submit", "Verify", "Draft", "Submitted", "Sales1", "Supervisor",
                "Confirm payment", "钱会计"]),
    ]:  # fmt: skip
        c.post("/locale", {"locale": lang, "next": "/admin/"})
        html = c.get(f"/admin/sales_order/details/?id={order.id}").get_data(as_text=True)
        timeline = html[html.index('data-testid="timeline"') :]
        waiting = html[html.index('data-testid="waiting"') :][:400]
        for word in words[:6]:
            assert word in timeline, (lang, word)
        assert words[-2] in waiting and words[-1] in waiting, (lang, waiting)


def test_the_bulk_menu_lists_only_steps_the_person_could_take(as_user, world):
    def menu(who) -> set[str]:
        html = as_user(who).get("/admin/sales_order/").get_data(as_text=True)
        return set(re.findall(r"modelActions\.execute\('(\w+)'", html))

    steps = {"submit", "to_verified", "to_paid", "to_shipped", "reject", "cancel"}
    assert menu("supervisor") & steps == {"to_verified", "reject"}
    assert menu("finance") & steps == {"to_paid", "reject", "cancel"}
    assert menu("warehouse") & steps == {"to_shipped"}
    assert menu("sales1") & steps == {"submit", "cancel"}
    assert menu("marketing") & steps == set()


# -- the same page for the test-only process (item 9: no change to the engine or the views) ----


@pytest.fixture
def ticket_client(ticket_app):  # noqa: F811
    ticket_app.extensions["admin"][0].add_view(ticket_process.view()(ticket_process.Ticket))
    with system():
        people = {r: make_staff(r, r) for r in ("warehouse", "finance", "owner")}
        people["maker"] = make_staff("maker", "warehouse")

    def login(who):
        c = Client(ticket_app.test_client())
        c.login(who)
        return c

    return people, login


TICKET = [
    ("open", "maker", ["check", "drop"]),
    ("open", "warehouse", ["check"]),
    ("open", "owner", ["drop"]),
    ("open", "finance", []),
    ("checked", "finance", ["resolve"]),
    ("checked", "owner", ["drop"]),
    ("resolved", "finance", ["reopen"]),  # reopening allows self-approval
    ("resolved", "owner", ["close"]),
    ("closed", "owner", []),
]
PATH = {"open": [], "checked": [("maker", "check")], "resolved": [("maker", "check"),
        ("finance", "resolve")], "closed": [("maker", "check"), ("finance", "resolve"),
        ("owner", "close")]}  # fmt: skip


@pytest.mark.parametrize("state,who,expected", TICKET)
def test_ticket_page_shows_exactly_the_allowed_steps(ticket_client, state, who, expected):
    people, login = ticket_client
    ticket = new_ticket(people["maker"])
    for person, action in PATH[state]:
        ticket = act(people[person], ticket, action)
    assert buttons(login(who), "ticket", ticket.id) == expected


def test_ticket_step_taken_from_the_page(ticket_client):
    people, login = ticket_client
    ticket = new_ticket(people["maker"])
    c = login("warehouse")
    c.post(f"/admin/ticket/take/?id={ticket.id}", {"action": "check"})
    with system():
        assert ticket_process.Ticket.get_by_id(ticket.id).status == "checked"
    with speaking("zh_CN"):
        html = c.get(f"/admin/ticket/details/?id={ticket.id}").get_data(as_text=True)
    assert "已核对" in html and "Warehouse" in html


__all__ = ["PROCESS", "db"]
