"""Issue 8, item 9: the test-only ticket process's matrix over HTTP (form POST, inline edit,
the grid's bulk action, new-record form and CSV import), on a test-only grid that offers the
status everywhere (tests/ticket_views.py). The verb, save() and set-based bulk cells are in
tests/test_workflow_generic.py; the oracle `expected` is shared."""

from __future__ import annotations

import pytest

from rules.approval import steps
from tests import ticket_process
from tests.conftest import make_staff, system
from tests.test_workflow_generic import PATH_TO, PROCESS, act, expected, new_ticket
from tests.ticket_process import Ticket
from tests.ticket_views import add_ticket_view
from tests.workflow_paths import HTTP, create_at, over_http

WF = ticket_process.CONFIG["workflows"]["ticket"]
WHO = ("warehouse", "finance", "owner", "maker")


@pytest.fixture
def app(overrides):
    from app import create_app
    from rules.config import deep_merge
    from tests.conftest import fresh_database

    application = create_app(
        overrides=deep_merge(overrides, ticket_process.CONFIG), processes=PROCESS
    )
    application.config.update(TESTING=True)
    add_ticket_view(application)
    with fresh_database(*ticket_process.MODELS):
        yield application


@pytest.fixture
def people(world):
    with system():
        maker = make_staff("maker", "warehouse")
    return {"warehouse": world.warehouse, "finance": world.finance, "owner": world.owner,
            "maker": maker}  # fmt: skip


def on_the_grid(action: str) -> bool:
    """The grid offers the main path's steps and reject/cancel; "reopen" and "drop" have no
    grid action yet (item 7 lists every transition the person may take)."""
    return any(t.action == action for t in steps("ticket")) or action in ("reject", "cancel")


def http_expected(state: str, action: str, who: str, path: str) -> bool:
    if path != "bulk":
        return False  # the status set directly: refused by save(), whatever the view offers
    return on_the_grid(action) and expected(state, action, who, "verb")


def sources(t: dict) -> list[str]:
    return [t["from"]] if isinstance(t["from"], str) else t["from"]


def at(people, state: str) -> Ticket:
    ticket = new_ticket(people["maker"])
    for person, step in PATH_TO[state]:
        ticket = act(people[person], ticket, step)
    return ticket


def status(ticket) -> str:
    with system():
        return Ticket.get_by_id(ticket.id).status


@pytest.mark.parametrize("path", HTTP)
@pytest.mark.parametrize("state", list(PATH_TO))
def test_the_matrix_over_http(as_user, people, state, path):
    ticket, wrong = at(people, state), []
    for who in WHO:
        client = as_user(who)
        for t in [t for t in WF["transitions"] if state in sources(t)]:
            over_http(path, client, "ticket", ticket.id, t["action"], t["to"], {"title": "x"})
            now = status(ticket)
            if (now == t["to"]) is not http_expected(state, t["action"], who, path):
                wrong.append((who, t["action"], now))
            if now != state:
                ticket = at(people, state)
    assert wrong == [], f"{state} × {path}: (who, action, status) not as expected"


def test_no_ticket_is_created_past_its_first_state(as_user, people):
    for who in WHO:
        client = as_user(who)
        for s in WF["states"]:
            create_at(client, "ticket", s["name"], {"title": "x"}, "title\nx")
    with system():
        made = [t.status for t in Ticket.select()]
    assert made and set(made) == {"open"}


def test_the_grid_really_writes(as_user, people):
    """The matrix's refusals are the engine's: the same requests without a status do write."""
    ticket, client = at(people, "open"), as_user("owner")
    client.post(f"/admin/ticket/edit/?id={ticket.id}", {"title": "改过", "status": "open"})
    client.post("/admin/ticket/ajax/update/", {"list_form_pk": ticket.id, "status": "open"})
    with system():
        assert Ticket.get_by_id(ticket.id).title == "改过"
