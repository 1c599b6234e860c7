"""Issue 8, item 9: a test-only workflow on a test-only model, declared only in
tests/ticket_process.py (model, effects, config), gets the verbs, the set-based bulk path, the
save check and the start-up checks with no change to the engine."""

from __future__ import annotations

import copy

import pytest

import rules
from app import create_app, load
from models import db
from rules.config import ConfigError, deep_merge
from rules.workflow import take
from rules.workflow_bulk import bulk_take
from tests import ticket_process
from tests.conftest import actor_of, fresh_database, make_staff, system
from tests.ticket_process import Ticket

PROCESS = ("tests.ticket_process",)


@pytest.fixture
def app(overrides):
    application = create_app(
        overrides=deep_merge(overrides, ticket_process.CONFIG), processes=PROCESS
    )
    with fresh_database(*ticket_process.MODELS):
        yield application


@pytest.fixture
def people(app):
    with system():
        return {r: make_staff(r, r) for r in ("warehouse", "finance", "owner")}


def new_ticket(person) -> Ticket:
    with db.connection_context(), rules.acting_as(actor_of(person)):
        row = Ticket(title="漏单", created_by=person.id)
        row.save()
    return row


def act(person, ticket, action, note=""):
    with db.connection_context(), rules.acting_as(actor_of(person)):
        row = Ticket.get_by_id(ticket.id)
        take(row, action, note)
    with system():
        return Ticket.get_by_id(ticket.id)


def test_verbs_roles_effects_and_reversal(people):
    t = new_ticket(people["warehouse"])
    t = act(people["warehouse"], t, "check")  # self-approval allowed on this transition
    with pytest.raises(rules.RuleViolation, match="Finance"):
        act(people["warehouse"], t, "resolve")
    t = act(people["finance"], t, "resolve")
    assert (t.status, t.credits) == ("resolved", 1)
    t = act(people["finance"], t, "reopen")  # going back runs the declared reversal
    assert (t.status, t.credits) == ("checked", 0)
    with pytest.raises(rules.RuleViolation, match="reason"):
        act(people["warehouse"], t, "drop")
    assert act(people["warehouse"], t, "drop", "重复").status == "dropped"  # as its creator


def test_self_approval_is_per_transition(app):
    with system():
        both = make_staff("both", "warehouse finance")
    t = act(both, new_ticket(both), "check")
    with pytest.raises(rules.RuleViolation, match="someone else"):
        act(both, t, "resolve")


def test_the_status_cannot_be_set_directly(people):
    t = new_ticket(people["warehouse"])
    with db.connection_context(), rules.acting_as(actor_of(people["owner"])):
        row = Ticket.get_by_id(t.id)
        row.status = "resolved"
        with pytest.raises(rules.RuleViolation, match="approval actions"):
            row.save()


def test_bulk_is_set_based_and_checked(people):
    rows = [new_ticket(people["owner"]) for _ in range(3)]
    with db.connection_context(), rules.acting_as(actor_of(people["warehouse"])):
        moved = bulk_take(Ticket, Ticket.id.in_([r.id for r in rows[:2]]), "check")
        with pytest.raises(rules.RuleViolation, match="one record at a time"):
            bulk_take(Ticket, Ticket.id > 0, "resolve")
    assert moved == 2
    with system():
        assert [Ticket.get_by_id(r.id).status for r in rows] == ["checked", "checked", "open"]


def bad(change) -> str:
    config = copy.deepcopy(ticket_process.CONFIG)
    change(config["workflows"]["ticket"])
    with pytest.raises(ConfigError) as caught:
        load(overrides=config, processes=PROCESS)
    return "\n".join(caught.value.errors)


def test_start_up_checks_apply_to_the_new_process(app):
    try:
        found = bad(lambda wf: wf["transitions"][3].update(effects=[]))
        assert (
            'workflows.ticket.transitions[3].effects: "reopen" leaves "resolved" (resolved) '
            'and must run "take_credit" to undo "grant_credit"' in found
        )
        found = bad(lambda wf: [s.update(marks=["final"]) for s in wf["states"][2:4]])
        assert 'workflows.ticket.states: no state is marked "resolved"' in found
    finally:
        load(overrides=ticket_process.CONFIG, processes=PROCESS)


def test_the_test_process_is_never_found_in_production(app):
    try:
        with pytest.raises(ConfigError, match="workflows.ticket: no workflow table called"):
            load(overrides=ticket_process.CONFIG)  # without processes=: not discovered
        assert "ticket" not in load().workflows
    finally:
        load(overrides=ticket_process.CONFIG, processes=PROCESS)


def inbox(person) -> list:
    from models import Notification

    with system():
        return list(Notification.select().where(Notification.recipient == person.id))


def test_who_acts_next_is_notified_once_per_batch(people):
    rows = [new_ticket(people["warehouse"]) for _ in range(3)]
    with db.connection_context(), rules.acting_as(actor_of(people["warehouse"])):
        assert bulk_take(Ticket, Ticket.id.in_([r.id for r in rows]), "check") == 3
    [message] = inbox(people["finance"])  # "resolve" is finance's: one message for the batch
    assert "3" in message.title and message.link == "/admin/ticket/"
    assert inbox(people["owner"]) == [] and inbox(people["warehouse"]) == []
    act(people["finance"], rows[0], "resolve")
    [message] = inbox(people["owner"])  # "close" is the owner's
    assert message.link == f"/admin/ticket/details/?id={rows[0].id}"
    act(people["owner"], rows[0], "close")  # a final state: nobody is next
    assert len(inbox(people["owner"])) + len(inbox(people["finance"])) == 2


# The matrix: every state × transition × role × path (verb, save() with the status, bulk).
PATH_TO = {
    "open": [],
    "checked": [("warehouse", "check")],
    "resolved": [("warehouse", "check"), ("finance", "resolve")],
}
MATRIX = [
    (state, t["action"], who, path)
    for state in PATH_TO
    for t in ticket_process.CONFIG["workflows"]["ticket"]["transitions"]
    if state in ([t["from"]] if isinstance(t["from"], str) else t["from"])
    for who in ("warehouse", "finance", "owner", "maker")
    for path in ("verb", "save", "bulk")
]


def expected(state: str, action: str, who: str, path: str) -> bool:
    """Allowed when the person holds a role of the step (or is its creator, "maker"), and
    the step allows self-approval or they neither entered the ticket nor took a step of it."""
    if path == "save":
        return False
    wf = ticket_process.CONFIG["workflows"]["ticket"]
    t = next(x for x in wf["transitions"] if x["action"] == action)
    if path == "bulk" and (t.get("effects") or t.get("reason_required")):
        return False
    roles = {"maker": {"warehouse"}}.get(who, {who})
    holds = bool(roles & set(t["roles"])) or ("creator" in t["roles"] and who == "maker")
    took = who == "maker" or who in {p for p, _a in PATH_TO[state]}
    return holds and (t.get("self_approval", False) or not took)


@pytest.mark.parametrize("state,action,who,path", MATRIX)
def test_the_matrix(app, people, state, action, who, path):
    with system():
        people["maker"] = make_staff("maker", "warehouse")
    ticket = new_ticket(people["maker"])
    for person, step in PATH_TO[state]:
        ticket = act(people[person], ticket, step)
    wf = ticket_process.CONFIG["workflows"]["ticket"]
    to = next(t["to"] for t in wf["transitions"] if t["action"] == action)
    with db.connection_context(), rules.acting_as(actor_of(people[who])):
        row = Ticket.get_by_id(ticket.id)
        try:
            if path == "verb":
                take(row, action, "理由")
            elif path == "save":
                row.status = to
                row.save()
            else:
                bulk_take(Ticket, Ticket.id == row.id, action, to=to)
        except rules.RuleViolation:
            pass
    with system():
        moved = Ticket.get_by_id(ticket.id).status == to
    assert moved is expected(state, action, who, path)
