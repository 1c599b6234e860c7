"""Issue 8: the sales chain as a declared workflow. Each failure the review found is refused at
start-up naming the key, or now behaves correctly; going back undoes going forward."""

from __future__ import annotations

import copy
import tomllib

import pytest

import rules
import rules.config
from app import load
from models import AuditLog, Customer, FollowUp, PointsEntry, SalesOrder, Transition, db
from rules import points
from rules.approval import approve, cancel, reject
from rules.config import ConfigError, read_toml
from tests.conftest import system
from tests.test_sales import acting, at_state, new_order, reload, step, stock

REAL = read_toml(rules.config.DEFAULT_CONFIG)


def refusals(monkeypatch, change) -> str:
    """Start-up (the path create_app and check-config take) on config.toml as `change` edits
    it; return the errors, one a line."""
    raw = copy.deepcopy(REAL)
    change(raw)
    monkeypatch.setattr(rules.config, "read_toml", lambda path: raw)
    try:
        with pytest.raises(ConfigError) as caught:
            load()
    finally:
        monkeypatch.undo()
        load()  # put the real policy back for the next test
    return "\n".join(caught.value.errors)


def sales(raw) -> dict:
    return raw["workflows"]["sales_order"]


def transition(raw, action, source):
    return next(t for t in sales(raw)["transitions"] if t["action"] == action and source in (
        t["from"] if isinstance(t["from"], list) else [t["from"]]))  # fmt: skip


def state(raw, name):
    return next(s for s in sales(raw)["states"] if s["name"] == name)


def rename_paid_dropping_its_mark(raw):
    state(raw, "paid").update(name="confirmed", marks=[])
    for t in sales(raw)["transitions"]:
        t["from"] = ["confirmed" if s == "paid" else s for s in
                     (t["from"] if isinstance(t["from"], list) else [t["from"]])]  # fmt: skip
        t["to"] = "confirmed" if t["to"] == "paid" else t["to"]


def add_a_step_after_shipped_and_let_cancel_leave_it(raw):
    state(raw, "shipped")["marks"] = ["money_received", "goods_out"]
    sales(raw)["states"].append(
        {"name": "delivered", "label": {"en": "Delivered", "zh_CN": "已签收"},
         "marks": ["money_received", "goods_out", "final"]})  # fmt: skip
    sales(raw)["transitions"].append(
        {"from": "shipped", "action": "deliver", "to": "delivered", "roles": ["warehouse"]}
    )
    transition(raw, "cancel", "paid")["from"] = ["paid", "shipped"]


def drop_the_reversal_from_reject_paid(raw):
    transition(raw, "reject", "paid")["effects"] = []


def take_warehouse_out_of_edit(raw):
    raw["permissions"]["sales_order"]["edit"].remove("warehouse")


CASES = [
    pytest.param(
        rename_paid_dropping_its_mark,
        'workflows.sales_order.transitions[2].effects[0]: "record_payment" holds only in a '
        'state marked "money_received", and "confirmed" is not',
        id="rename-paid",
    ),
    pytest.param(
        add_a_step_after_shipped_and_let_cancel_leave_it,
        'workflows.sales_order.transitions[8]: "cancel" leaves "shipped" (goods_out) but nothing '
        'undoes "post_sale_outbound"',
        id="step-after-shipped",
    ),
    pytest.param(
        drop_the_reversal_from_reject_paid,
        'workflows.sales_order.transitions[6].effects: "reject" leaves "paid" (money_received) '
        'and must run "reverse_points" to undo "earn_points"',
        id="reject-paid-without-reversal",
    ),
    pytest.param(
        take_warehouse_out_of_edit,
        'workflows.sales_order.transitions[3].roles[0]: "warehouse" may take "ship" but '
        "permissions.sales_order.edit does not include it",
        id="warehouse-not-in-edit",
    ),
    pytest.param(
        lambda raw: transition(raw, "ship", "paid")["effects"].append("post_stock_twice"),
        'workflows.sales_order.transitions[3].effects[1]: no effect "post_stock_twice"',
        id="unknown-effect",
    ),
    pytest.param(
        lambda raw: transition(raw, "submit", "draft").update(effects=[]),
        'workflows.sales_order: the effect "freeze_submission" (rules.effects.sales) is used '
        "nowhere",
        id="unused-effect",
    ),
    pytest.param(
        lambda raw: state(raw, "cancelled").update(marks=["final"]),
        'workflows.sales_order.states: no state is marked "void" (rules.effects.sales relies',
        id="missing-mark",
    ),
    pytest.param(
        lambda raw: state(raw, "verified")["label"].pop("zh_CN"),
        "workflows.sales_order.states[2].label.zh_CN: Field required",
        id="missing-label",
    ),
    pytest.param(
        lambda raw: sales(raw)["states"].append(
            {"name": "lost", "label": {"en": "Lost", "zh_CN": "遗失"}, "marks": ["final"]}
        ),
        'workflows.sales_order.states[6]: "lost" cannot be reached from "draft"',
        id="unreachable",
    ),
    pytest.param(
        lambda raw: [
            s.update(marks=[m for m in s.get("marks", []) if m != "final"])
            for s in sales(raw)["states"]
        ],
        'workflows.sales_order.states: no state is marked "final"',
        id="no-final-state",
    ),  # fmt: skip
    pytest.param(
        lambda raw: state(raw, "paid").update(marks=["money_received", "paied"]),
        'workflows.sales_order.states[3].marks[1]: unknown mark "paied"',
        id="mark-typo",
    ),
    pytest.param(
        lambda raw: raw["workflows"].pop("sales_order"),
        "workflows.sales_order: sales_order is a workflow table but has no [workflows.sales_order]",
        id="governed-model-without-rules",
    ),
]


@pytest.mark.parametrize("change,message", CASES)
def test_start_up_refuses_naming_the_key(app, monkeypatch, change, message):
    assert message in refusals(monkeypatch, change)


OLD_CHAIN = [
    {"state": "submitted", "by": ["salesperson", "store_staff"]},
    {"state": "verified", "by": "sales_supervisor"},
    {"state": "paid", "by": "finance"},
    {"state": "shipped", "by": ["warehouse", "store_staff"]},
]


def test_an_old_approval_list_is_refused_with_its_rewrite(app, monkeypatch):
    """An owner's old file never silently changes meaning: it is refused, and the printed
    [workflows] block, pasted in its place, starts."""

    def old_style(raw):
        raw["workflows"].pop("sales_order")
        raw["rules"]["sales_order"].update(approval=OLD_CHAIN, allow_self_approval=False)

    found = refusals(monkeypatch, old_style)
    assert found.startswith("rules.sales_order.approval: approval chains are now declared")
    block = found[found.index("[workflows.sales_order]") :]
    block = block[: block.index("\n]", block.index("transitions = [")) + 2]
    assert '{ from = "paid", action = "reject", to = "draft", roles = ["warehouse"' in block
    pasted = copy.deepcopy(REAL)
    pasted["workflows"] = tomllib.loads(block)["workflows"]
    monkeypatch.setattr(rules.config, "read_toml", lambda path: pasted)
    try:
        settings = load()
    finally:
        monkeypatch.undo()
        load()
    chain = [(t.action, t.to, t.effects) for t in settings.workflows["sales_order"].chain()]
    assert chain == [
        ("submit", "submitted", ["freeze_submission"]),
        ("to_verified", "verified", []),
        ("to_paid", "paid", ["record_payment", "earn_points"]),
        ("to_shipped", "shipped", ["post_sale_outbound"]),
    ]


def test_check_config_names_the_key(runner, tmp_path):
    text = (rules.config.DEFAULT_CONFIG).read_text()
    roles = '"owner", "salesperson", "sales_supervisor", "finance", "warehouse", "store_staff"'
    edit = f"edit = [{roles}]"
    assert edit in text
    bad = tmp_path / "config.toml"
    bad.write_text(text.replace(edit, edit.replace('"warehouse", ', "")))
    result = runner.invoke(args=["check-config", str(bad)])
    assert result.exit_code == 1
    assert "workflows.sales_order.transitions[3].roles[0]" in result.output
    assert runner.invoke(args=["check-config"]).output.strip() == "OK"


def test_renaming_a_step_keeps_its_meaning(app, world, monkeypatch):
    """Review: paid → confirmed used to skip points and paid_at silently. Code tests marks."""

    def rename(raw):
        rename_paid_dropping_its_mark(raw)
        state(raw, "confirmed")["marks"] = ["money_received"]

    raw = copy.deepcopy(REAL)
    rename(raw)
    monkeypatch.setattr(rules.config, "read_toml", lambda path: raw)
    load()
    try:
        order = at_state(world, "confirmed")
        assert order.status == "confirmed" and order.paid_at is not None
        assert points.balance(world.c_sales1.id) == 396
        assert step(world.warehouse, order).status == "shipped"
    finally:
        monkeypatch.undo()
        load()


def test_rejecting_a_paid_order_and_paying_again_earns_once(world):
    stock(world)
    order = at_state(world, "paid")
    assert points.balance(world.c_sales1.id) == 396
    with pytest.raises(rules.RuleViolation, match="Finance"):
        step(world.warehouse, order, reject, "少一瓶")  # the next step's role no longer may
    order = step(world.finance, order, reject, "金额不符")
    assert order.status == "draft" and order.paid_at is None
    assert points.balance(world.c_sales1.id) == 0
    with system():
        assert Customer.get_by_id(world.c_sales1.id).last_deal_at is None
    for person in (world.sales1, world.supervisor, world.finance):
        order = step(person, order)
    assert order.status == "paid" and points.balance(world.c_sales1.id) == 396
    order = step(world.finance, order, reject, "再次退回")
    assert points.balance(world.c_sales1.id) == 0
    with system():
        lines = [e.delta for e in PointsEntry.select().order_by(PointsEntry.id)]
    assert lines == [396, -396, 396, -396]  # reversing lines, never edits


def test_a_shipped_order_is_never_cancelled_or_edited(as_user, world):
    stock(world)
    order = at_state(world, "shipped")
    for person in (world.finance, world.owner, world.sales1, world.warehouse):
        with pytest.raises(rules.RuleViolation):
            step(person, order, cancel, "退货")
    with db.connection_context(), acting(world.owner):
        row = reload(order)
        row.status = "cancelled"
        with pytest.raises(rules.RuleViolation, match="approval actions"):
            row.save()
        row = reload(order)
        row.note = "改一下"
        with pytest.raises(rules.RuleViolation, match="Only a draft"):
            row.save()
    c = as_user("owner")
    c.post("/admin/sales_order/reason/", {"verb": "cancel", "ids": str(order.id), "reason": "x"})
    c.post(f"/admin/sales_order/edit/?id={order.id}", {"customer": world.c_sales1.id,
           "status": "cancelled", "delivery": "pickup", "note": "x"})  # fmt: skip
    c.post("/admin/sales_order/ajax/update/", {"list_form_pk": order.id, "status": "cancelled"})
    as_user("finance").post(
        "/admin/sales_order/reason/", {"verb": "cancel", "ids": str(order.id), "reason": "x"}
    )
    with system():
        assert SalesOrder.get_by_id(order.id).status == "shipped"
        assert Transition.history("sales_order", order.id)[-1].to_state == "shipped"
    assert points.balance(world.c_sales1.id) == 396


def test_nobody_verifies_and_pays_the_same_sale(world):
    with system():
        from tests.conftest import make_staff

        both = make_staff("checker", "sales_supervisor finance")
    order = step(world.sales1, new_order(world))
    order = step(both, order)
    with pytest.raises(rules.RuleViolation, match="someone else"):
        step(both, order)
    assert step(world.finance, order).status == "paid"


def test_effects_are_written_as_system_on_the_persons_behalf(world):
    stock(world)
    order = at_state(world, "paid")
    with system():
        entry = AuditLog.history("customer", world.c_sales1.id)[0]
    assert (entry.actor_name, entry.on_behalf_of) == ("system", "finance")
    assert entry.via_parts == ("sales_order", "confirm_payment", order.number)


def test_a_follow_up_does_not_need_customer_edit(app, world, monkeypatch):
    """Review: the follow-up saved its customer as the salesperson, so permissions.customer.edit
    decided who may log follow-ups. The customer's clock is now an effect, written as SYSTEM."""
    from tests.test_followups import survey

    def no_edit(raw):
        raw["permissions"]["customer"]["edit"] = ["owner"]

    raw = copy.deepcopy(REAL)
    no_edit(raw)
    monkeypatch.setattr(rules.config, "read_toml", lambda path: raw)
    load()
    try:
        with db.connection_context(), acting(world.sales1):
            FollowUp(customer=world.c_sales1.id, **survey()).save()
        with system():
            customer = Customer.get_by_id(world.c_sales1.id)
            entry = AuditLog.history("customer", customer.id)[0]
        assert customer.last_followup_at is not None
        assert (entry.actor_name, entry.on_behalf_of) == ("system", "sales1")
        assert entry.via_parts[:2] == ("follow_up", "log")
    finally:
        monkeypatch.undo()
        load()


def test_the_sales_verbs_are_the_engines(world):
    """approve/reject/cancel are the engine's take() by the workflow's actions."""
    order = step(world.sales1, new_order(world), approve)
    assert order.status == "submitted"
    order = step(world.sales1, order, cancel, "不要了")  # creator, before payment
    assert order.status == "cancelled"


def test_the_supervisor_hears_of_a_submitted_order(world):
    from models import Notification

    order = step(world.sales1, new_order(world))
    with system():
        [message] = Notification.select().where(Notification.recipient == world.supervisor.id)
    assert order.number in message.title and message.link.endswith(f"?id={order.id}")


def test_a_closed_orders_discount_is_not_approved_any_more(world):
    """A record in a final state is never edited: not even finance's discount approval."""
    from rules.sales import approve_discount

    order = step(world.sales1, new_order(world, qty=1, discount="50.00"))  # 25%: flagged
    order = step(world.sales1, order, cancel, "不要了")
    with pytest.raises(rules.RuleViolation, match="closed"):
        step(world.finance, order, approve_discount)
    assert reload(order).discount_approved_by_id is None
