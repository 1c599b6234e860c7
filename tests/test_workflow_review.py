"""Issue 8, "Done when": the review's failures, on an app built from the changed config.toml
(tests/test_workflow_engine.py has their start-up refusals). On the pre-engine code each of
these failed: a renamed step skipped its on_enter effects and the grid's Submit named
"submitted"; a step after `shipped` made shipped orders cancellable (cancel refused only the
last state)."""

from __future__ import annotations

import copy

import pytest

import rules
import rules.config
from app import create_app, load
from rules import points
from rules.approval import cancel
from tests.conftest import fresh_database
from tests.test_sales import at_state, new_order, reload, step, stock
from tests.test_workflow_engine import REAL, add_a_step_after_shipped_and_let_cancel_leave_it


def rename(raw, old: str, new: str) -> None:
    """Rename a state everywhere config.toml names it; its marks go with it."""
    wf = raw["workflows"]["sales_order"]
    next(s for s in wf["states"] if s["name"] == old)["name"] = new
    for t in wf["transitions"]:
        t["from"] = [new if s == old else s for s in
                     (t["from"] if isinstance(t["from"], list) else [t["from"]])]  # fmt: skip
        t["to"] = new if t["to"] == old else t["to"]


def rename_two_steps(raw):
    rename(raw, "submitted", "handed_in")
    rename(raw, "paid", "confirmed")


def add_a_step_after_shipped(raw):
    """The review's edit, without letting cancel leave `shipped` (that is refused at start-up:
    test_workflow_engine's step-after-shipped case)."""
    add_a_step_after_shipped_and_let_cancel_leave_it(raw)
    wf = raw["workflows"]["sales_order"]
    t = next(t for t in wf["transitions"] if t["action"] == "cancel" and "paid" in t["from"])
    t["from"] = "paid"
    wf["transitions"][-1]["self_approval"] = True  # the warehouse that shipped confirms delivery


@pytest.fixture
def change():
    return lambda raw: None


@pytest.fixture
def app(overrides, monkeypatch, change):
    raw = copy.deepcopy(REAL)
    change(raw)
    monkeypatch.setattr(rules.config, "read_toml", lambda path: raw)
    application = create_app(overrides=overrides)
    application.config.update(TESTING=True)
    with fresh_database():
        yield application
    monkeypatch.undo()
    load()


@pytest.mark.parametrize("change", [rename_two_steps])
def test_renamed_steps_run_on_every_path(as_user, world):
    """paid → confirmed (and submitted → handed_in): the grid's Submit and each step's bulk
    action work, and payment still records paid_at and earns the points."""
    stock(world)
    order = new_order(world)
    for who, form in [
        ("sales1", {"action": "submit"}),
        ("supervisor", {"action": "to_verified"}),
        ("finance", {"action": "to_confirmed"}),
        ("warehouse", {"action": "to_shipped"}),
    ]:
        response = as_user(who).post("/admin/sales_order/action/", {**form, "rowid": order.id})
        assert response.status_code == 302, (who, response.status_code)
    order = reload(order)
    assert order.status == "shipped" and order.paid_at is not None
    assert points.balance(world.c_sales1.id) == 396


@pytest.mark.parametrize("change", [add_a_step_after_shipped])
def test_a_step_after_shipped_leaves_shipped_uncancellable(as_user, world):
    order = at_state(world, "shipped")
    for who in ("sales1", "owner", "finance", "warehouse"):
        with pytest.raises(rules.RuleViolation):
            step(getattr(world, who), order, cancel, "退货")
        as_user(who).post("/admin/sales_order/reason/",
                          {"verb": "cancel", "ids": str(order.id), "reason": "x"})  # fmt: skip
    assert reload(order).status == "shipped"
    order = step(world.warehouse, order)  # deliver: the next step of the main path
    assert order.status == "delivered"
    with pytest.raises(rules.RuleViolation):
        step(world.owner, order, cancel, "退货")
    assert points.balance(world.c_sales1.id) == 396
