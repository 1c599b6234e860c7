"""Issue 8 item 5: step forms. A transition declares the fields its person fills in at that
step (courier and tracking number when shipping an express order, B4; amount received and
payment reference when finance confirms payment, B3). Their rules hold on every path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models import SalesOrder, db
from rules import RuleViolation
from rules.approval import approve
from rules.workflow import take
from tests.conftest import system
from tests.test_sales import acting, at_state, new_order, reload, step, stock
from tests.test_workflow_engine import refusals, transition

EXPRESS = dict(delivery="express", recipient="王建军", recipient_phone="13812345678",
               address="南京市鼓楼区中山北路288号")  # fmt: skip
SHIP = {"courier": "顺丰速运", "tracking_no": "SF1234567890"}


def paid_express(world) -> SalesOrder:
    stock(world)
    order = new_order(world, **EXPRESS)
    for person in (world.sales1, world.supervisor, world.finance):
        order = step(person, order)
    return order


def refused(person, order, action, values=None) -> dict:
    with db.connection_context(), acting(person), pytest.raises(RuleViolation) as caught:
        take(reload(order), action, "", values)
    return caught.value.errors


@pytest.mark.parametrize(
    "values,field,words",
    [
        ({}, "courier", "快递公司"),
        ({"courier": "顺丰速运"}, "tracking_no", "快递单号"),
        ({"courier": "Bike Co", "tracking_no": "X1"}, "courier", "顺丰速运"),
        ({"courier": "顺丰速运", "tracking_no": "   "}, "tracking_no", "快递单号"),
    ],
)
def test_shipping_an_express_order_needs_courier_and_tracking(world, values, field, words):
    order = paid_express(world)
    from rules.i18n import speaking

    with speaking("zh_CN"):
        errors = refused(world.warehouse, order, "ship", values)
    assert field in errors
    assert words in errors[field][0]
    assert reload(order).status == "paid"


def test_shipping_stores_the_step_form_on_the_order(world):
    order = paid_express(world)
    with db.connection_context(), acting(world.warehouse):
        take(reload(order), "ship", "", SHIP)
    order = reload(order)
    assert (order.status, order.courier, order.tracking_no) == ("shipped", *SHIP.values())


def test_a_pickup_needs_no_courier(world):
    order = step(world.warehouse, at_state(world, "paid"))
    assert order.status == "shipped" and order.courier == ""


def test_the_amount_received_must_equal_the_total(world):
    order = at_state(world, "verified")
    errors = refused(world.finance, order, "confirm_payment", {"paid_amount": "1.00"})
    assert "396.00" in errors["paid_amount"][0]
    errors = refused(world.finance, order, "confirm_payment", {"paid_amount": "lots"})
    assert list(errors) == ["paid_amount"]
    with db.connection_context(), acting(world.finance):
        take(reload(order), "confirm_payment", "", {"paid_amount": "396", "payment_ref": "WX-77"})
    order = reload(order)
    assert (order.status, order.paid_amount, order.payment_ref) == (
        "paid", Decimal("396.00"), "WX-77")  # fmt: skip


def test_every_path_that_skips_the_step_form_is_refused(as_user, world):
    """The grid's bulk action (one engine verb per row), approve() and a crafted save()."""
    order = paid_express(world)
    page = (
        as_user("warehouse")
        .post(
            "/admin/sales_order/action/",
            {"action": "to_shipped", "rowid": [order.id]},
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert reload(order).status == "paid"
    assert "Courier" in page or "快递公司" in page
    with db.connection_context(), acting(world.warehouse), pytest.raises(RuleViolation) as e:
        approve(reload(order))
    assert "courier" in e.value.errors
    from rules.workflow import find, moving

    with system(), acting(world.warehouse), pytest.raises(RuleViolation) as e:
        row = reload(order)
        t = find("sales_order", "paid", "ship")
        with moving(row, t):
            row.status = "shipped"
            row.save()
    assert "courier" in e.value.errors


def test_bulk_take_refuses_a_step_with_a_required_form(world, monkeypatch):
    """A set-based step has no form to fill: it is refused naming the field."""
    import rules
    from rules.workflow_bulk import bulk_take
    from rules.workflow_config import StepField

    wf = rules.settings().workflows["sales_order"]
    verify = next(t for t in wf.transitions if t.action == "verify")
    field = StepField(field="payment_ref", label={"en": "Reference", "zh_CN": "流水号"})
    monkeypatch.setattr(verify, "__dict__", {**verify.__dict__, "form": [field]})
    order = step(world.sales1, new_order(world))
    with db.connection_context(), acting(world.supervisor), pytest.raises(RuleViolation) as e:
        bulk_take(SalesOrder, SalesOrder.id == order.id, "verify")
    assert list(e.value.errors) == ["payment_ref"]
    assert reload(order).status == "submitted"


def test_a_form_field_the_model_lacks_is_refused_at_start_up(monkeypatch):
    def typo(raw):
        transition(raw, "ship", "paid")["form"][1]["field"] = "tracking_number"

    errors = refusals(monkeypatch, typo)
    assert "workflows.sales_order.transitions[3].form[1].field: sales_order has no field" in errors
    assert "tracking_number" in errors
