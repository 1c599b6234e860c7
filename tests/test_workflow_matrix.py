"""Issue 8, item 9 (B2, B3): the sales chain's state × transition × role × path matrix.

Every transition of [workflows.sales_order] from every state, for every role of the demo
company, on every write path (tests/workflow_paths.py). The table below says who may take each
step; the verb and the grid's bulk action must allow exactly them, and save(), a crafted form,
an inline edit and a CSV import naming the status must never move a record (nor create one past
its first state). A final state (shipped, cancelled) is left by nobody on any path: "cancelling
a shipped order is refused on every path". One app per state × path; roles loop inside.
"""

from __future__ import annotations

import pytest

from models import SalesOrder
from tests.conftest import system
from tests.test_sales import ROLES, at_state
from tests.workflow_paths import HTTP, PATHS, create_at, in_code, over_http

# (state, action) -> who may take it: the roles of the transition, narrowed by scope (sales2
# and store1 do not serve sales1's customer) and self-approval (sales1 created the order).
ALLOWED = {
    ("draft", "submit"): {"sales1"},
    ("draft", "cancel"): {"sales1", "owner"},
    ("submitted", "verify"): {"supervisor"},
    ("submitted", "reject"): {"supervisor"},
    ("submitted", "cancel"): {"sales1", "owner"},
    ("verified", "confirm_payment"): {"finance"},
    ("verified", "reject"): {"finance"},
    ("verified", "cancel"): {"sales1", "owner"},
    ("paid", "ship"): {"warehouse"},
    ("paid", "reject"): {"finance"},
    ("paid", "cancel"): {"finance"},
}
TO = {"submit": "submitted", "verify": "verified", "confirm_payment": "paid", "ship": "shipped",
      "reject": "draft", "cancel": "cancelled"}  # fmt: skip
STATES = ["draft", "submitted", "verified", "paid", "shipped", "cancelled"]


def cells(state: str) -> list[str]:
    """The actions tried from `state`: its transitions; from a final state, every action."""
    mine = [a for s, a in ALLOWED if s == state]
    return mine or list(TO)


def test_the_table_is_the_configured_workflow(app):
    from rules.workflow import flow

    wf = flow("sales_order")
    declared = {(s, t.action) for t in wf.transitions for s in t.from_}
    assert declared == set(ALLOWED)
    assert {t.action: t.to for t in wf.transitions} == TO
    assert [s.name for s in wf.states] == STATES


def fresh(world, state: str) -> SalesOrder:
    if state != "cancelled":
        return at_state(world, state)
    from rules.approval import cancel
    from tests.test_sales import new_order, step

    return step(world.sales1, new_order(world), cancel, "不要了")


def status(order) -> str:
    with system():
        return SalesOrder.get_by_id(order.id).status


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("state", STATES)
def test_the_sales_matrix(as_user, world, state, path):
    order, wrong = fresh(world, state), []
    form = {"customer": world.c_sales1.id, "delivery": "pickup", "note": "x"}
    for who in ROLES:
        client = as_user(who) if path in HTTP else None
        for action in cells(state):
            if path in HTTP:
                over_http(path, client, "sales_order", order.id, action, TO[action], form)
            else:
                in_code(path, getattr(world, who), SalesOrder, order.id, action, TO[action])
            may = who in ALLOWED.get((state, action), ()) and path in ("verb", "bulk")
            now = status(order)
            moved = now != state
            if moved is not may or (moved and now != TO[action]):
                wrong.append((who, action, now))
            if moved:
                order = fresh(world, state)
    assert wrong == [], f"{state} × {path}: (who, action, status) not as the table says"


def test_no_record_is_created_past_its_first_state(as_user, world):
    """A new-record form or a CSV import naming a status (any state) creates, if anything, a
    draft: they cannot address an existing record, so this is their whole matrix."""
    form = {"customer": world.c_sales1.id, "delivery": "pickup", "note": "x"}
    csv_row = f"customer,delivery\n{world.c_sales1.phone},pickup"
    for who in ROLES:
        client = as_user(who)
        for state in STATES:
            create_at(client, "sales_order", state, form, csv_row)
    with system():
        made = [o.status for o in SalesOrder.select()]
    assert made and set(made) == {"draft"}
