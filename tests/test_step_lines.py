"""Issue 8 item 5: per-line step fields. A transition may declare fields its person fills in on
each line of the record, with their own required rules ("quantities received per line, with a
reason for a difference, in process E"). Proven generically on the test-only ticket process:
`resolve` counts each TicketLine (received required; a reason where it differs from sent; a
registered per-line check). The rules hold on every path; start-up names a bad declaration."""

from __future__ import annotations

import copy

import pytest

import rules
from app import load
from models import db
from models.audit import AuditLog
from rules.approval import approve
from rules.config import ConfigError
from rules.i18n import speaking
from rules.workflow import find, moving, take
from rules.workflow_bulk import bulk_take
from rules.workflow_bulk_run import open_run
from tests import ticket_process
from tests.conftest import actor_of, system
from tests.test_workflow_generic import PROCESS, act, app, new_ticket, people  # noqa: F401 (fixtures)
from tests.ticket_process import Ticket, TicketLine


def counted(staff, sent=(5, 3)) -> tuple[Ticket, list[TicketLine]]:
    """A checked ticket with one line per `sent` quantity, waiting for finance to resolve."""
    ticket = new_ticket(staff["warehouse"])
    with db.connection_context(), rules.acting_as(actor_of(staff["warehouse"])):
        lines = [TicketLine.create(ticket=ticket.id, item=f"货品{n}", sent=q)
                 for n, q in enumerate(sent, 1)]  # fmt: skip
    return act(staff["warehouse"], ticket, "check"), lines


def resolve(person, ticket, values=None):
    with db.connection_context(), rules.acting_as(actor_of(person)):
        take(Ticket.get_by_id(ticket.id), "resolve", "", values)


def refused(person, ticket, values=None) -> dict:
    with pytest.raises(rules.RuleViolation) as caught:
        resolve(person, ticket, values)
    return caught.value.errors


def stored(ticket, lines):
    with system():
        return Ticket.get_by_id(ticket.id).status, [
            (r.received, r.reason) for r in (TicketLine.get_by_id(x.id) for x in lines)
        ]


def test_resolving_stores_what_was_received_per_line(people):  # noqa: F811
    ticket, (a, b) = counted(people)
    values = {a.id: {"received": "5"}, b.id: {"received": "0", "reason": "破损"}}
    resolve(people["finance"], ticket, {"lines": values})
    assert stored(ticket, [a, b]) == ("resolved", [(5, ""), (0, "破损")])  # 0 is a count
    with system():
        assert Ticket.get_by_id(ticket.id).credits == 1  # the step's effect ran as well
        audit = AuditLog.get((AuditLog.model == "ticket_line") & (AuditLog.action == "update"))
    assert (audit.actor_name, audit.on_behalf_of) == ("system", "finance")  # like an effect


@pytest.mark.parametrize(
    "typed,line,field,words",
    [
        ({}, 0, "received", ["第1行（货品1）", "实收数量", "请填写"]),
        ({0: {"received": "5"}, 1: {"received": "2"}}, 1, "reason",
         ["第2行（货品2）", "差异原因", "实收数量", "2", "3"]),
        ({0: {"received": "五"}}, 0, "received", ["第1行", "实收数量", "数字"]),
        ({0: {"received": "9"}, 1: {"received": "3"}}, 0, "received",
         ["第1行", "实收数量", "5 sent"]),
    ],
)  # fmt: skip
def test_a_refusal_names_the_line_and_the_field(people, typed, line, field, words):  # noqa: F811
    ticket, lines = counted(people)
    values = {"lines": {lines[i].id: v for i, v in typed.items()}}
    with speaking("zh_CN"):
        errors = refused(people["finance"], ticket, values)
    message = errors[f"lines.{lines[line].id}.{field}"][0]
    assert all(w in message for w in words), message
    assert stored(ticket, lines) == ("checked", [(None, ""), (None, "")])  # nothing half-saved


def test_every_path_that_skips_the_lines_is_refused(people):  # noqa: F811
    """take() without values, approve(), a crafted save() as the engine, a set-based bulk step
    and a bulk run: the required per-line field is named on each."""
    ticket, lines = counted(people)
    key = f"lines.{lines[0].id}.received"
    assert key in refused(people["finance"], ticket)
    with db.connection_context(), rules.acting_as(actor_of(people["finance"])):
        with pytest.raises(rules.RuleViolation) as e:
            approve(Ticket.get_by_id(ticket.id))
        assert key in e.value.errors and "Line 1 (货品1): Received" in e.value.message()
        row = Ticket.get_by_id(ticket.id)
        with (
            pytest.raises(rules.RuleViolation) as e,
            moving(row, find("ticket", "checked", "resolve")),
        ):
            row.status = "resolved"
            row.save()
        assert key in e.value.errors
        for bulk in (bulk_take, open_run):
            with pytest.raises(rules.RuleViolation) as e:
                bulk(Ticket, Ticket.id == ticket.id, "resolve")
            assert "received" in e.value.errors or "taken one record" in e.value.message()
    assert stored(ticket, lines)[0] == "checked"


def test_lines_of_another_record_are_not_touched(people):  # noqa: F811
    ticket, (a, b) = counted(people)
    other, (c,) = counted(people, sent=(4,))
    resolve(people["finance"], ticket, {"lines": {a.id: {"received": "5"}, b.id: {
        "received": "3"}, c.id: {"received": "1", "reason": "x"}}})  # fmt: skip
    assert stored(other, [c]) == ("checked", [(None, "")])
    assert stored(ticket, [a, b]) == ("resolved", [(5, ""), (3, "")])


def test_a_record_without_lines_and_other_steps_are_unchanged(people):  # noqa: F811
    ticket = act(people["warehouse"], new_ticket(people["warehouse"]), "check")
    assert act(people["finance"], ticket, "resolve").status == "resolved"
    with db.connection_context(), rules.acting_as(actor_of(people["warehouse"])):
        moved = bulk_take(Ticket, Ticket.id == new_ticket(people["owner"]).id, "check")
    assert moved == 1  # `check` has no per-line fields: still set-based


def broken(change) -> str:
    config = copy.deepcopy(ticket_process.CONFIG)
    change(config["workflows"]["ticket"]["transitions"][1]["lines"])
    with pytest.raises(ConfigError) as caught:
        load(overrides=config, processes=PROCESS)
    return "\n".join(caught.value.errors)


@pytest.mark.parametrize(
    "change,expected",
    [
        (lambda f: f.update(table="ticket_lines"), '.lines.table: no table called "ticket_lines"'),
        (lambda f: f.update(table="staff"), ".lines.table: staff has no foreign key to ticket"),
        (lambda f: f["fields"][0].update(field="recieved"),
         '.lines.fields[0].field: ticket_line has no field "recieved"'),
        (lambda f: f["fields"][0].update(when={"colour": "red"}),
         '.lines.fields[0].when.colour: ticket_line has no field "colour"'),
        (lambda f: f["show"][0].update(field="posted"),
         '.lines.show[0].field: ticket_line has no field "posted"'),
        (lambda f: f["differences"][0].update(against="expected"),
         '.lines.differences[0].against: ticket_line has no field "expected"'),
        (lambda f: f["differences"][0].update(reason="item"),
         '.lines.differences[0].reason: "item" is not in workflows.ticket.transitions[1].lines'),
        (lambda f: f.update(checks=["not_more_than_send"]),
         '.lines.checks[0]: no line check "not_more_than_send" registered for ticket_line'),
    ],
)  # fmt: skip
def test_start_up_names_a_bad_line_form(app, change, expected):  # noqa: F811
    try:
        assert "workflows.ticket.transitions[1]" + expected in broken(change)
    finally:
        load(overrides=ticket_process.CONFIG, processes=PROCESS)


def test_the_readme_example_is_the_tickets_line_form():
    """README "Per-line step fields" shows valid TOML, and it is what the tests prove."""
    import tomllib
    from pathlib import Path

    readme = Path(__file__).parent.parent.joinpath("README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Per-line step fields**") :]
    block = section[section.index("```toml\n") + 8 : section.index("```\n", 8)]
    [resolve] = tomllib.loads(block)["transitions"]
    assert resolve == ticket_process.CONFIG["workflows"]["ticket"]["transitions"][1]
    assert resolve["lines"] == ticket_process.LINES
