"""Where a sale's goods leave (B4, A5; issue 7 item 2): a pickup from its pickup location (the
customer's store by default), an express parcel from the configured warehouse; a store's staff
hand out their own store's pickups; the shortfall and the pickup voucher name the place."""

from __future__ import annotations

import pytest

import rules
from models import SalesOrder, SalesOrderLine, StockMove, db
from rules.approval import approve
from tests.conftest import actor_of, make_staff, system
from tests.test_vouchers import pdf_text, squeeze


def acting(person):
    return rules.acting_as(actor_of(person))


def stock(world, place, qty=10):
    with system():
        StockMove(product=world.product.id, location=place.id, quantity=qty, kind="inbound").save()


def on_hand(world, place) -> int:
    with system():
        return StockMove.on_hand(world.product.id, place.id)


def draft(world, person, customer, qty=2, **fields) -> SalesOrder:
    with db.connection_context(), acting(person):
        order = SalesOrder(customer=customer.id, **fields)
        order.save()
        SalesOrderLine(order=order.id, product=world.product.id, quantity=qty).save()
    return reload(order)


def reload(order) -> SalesOrder:
    with system():
        return SalesOrder.get_by_id(order.id)


def step(person, order) -> SalesOrder:
    with db.connection_context(), acting(person):
        approve(reload(order))
    return reload(order)


def to_paid(world, order) -> SalesOrder:
    seller = order.created_by
    for person in (seller, world.supervisor, world.finance):
        order = step(person, order)
    assert order.status == "paid"
    return order


@pytest.fixture
def clerk(world):
    """A second clerk of store S01: the one who entered a sale may not take a later step."""
    with system():
        return make_staff("store1b", "store_staff", world.s1)


@pytest.mark.parametrize("shipper", ["store1b", "warehouse"])
def test_a_store_customers_pickup_takes_the_stores_stock(world, clerk, shipper):
    """The probe: HQ went 10 -> 8 and the store stayed at 10. Now the store's stock moves."""
    stock(world, world.hq)
    stock(world, world.s1)
    order = draft(world, world.store1, world.c_store1)
    assert order.pickup_location_id == world.s1.id
    order = step(clerk if shipper == "store1b" else world.warehouse, to_paid(world, order))
    assert order.status == "shipped" and order.ship_from_id == world.s1.id
    assert (on_hand(world, world.s1), on_hand(world, world.hq)) == (8, 10)


def test_a_pickup_defaults_to_hq_and_changes_only_while_a_draft(as_user, world):
    order = draft(world, world.sales1, world.c_sales1)
    assert order.pickup_location_id == world.hq.id
    form = {
        "customer": world.c_sales1.id,
        "delivery": "pickup",
        "payment_method": "wechat",
        "discount": "0",
        "points_redeemed": "0",
        "pickup_location": world.s2.id,
        "version": order.version,
    }
    as_user("sales1").post(f"/admin/sales_order/edit/?id={order.id}", form)
    order = reload(order)
    assert order.pickup_location_id == world.s2.id
    order = step(world.sales1, order)
    with db.connection_context(), acting(world.sales1), pytest.raises(rules.RuleViolation):
        row = reload(order)
        row.pickup_location = world.hq.id
        row.save()
    assert reload(order).pickup_location_id == world.s2.id


def test_the_pickup_form_offers_locations_in_use(as_user, world):
    with system():
        world.s2.active = False
        world.s2.save()
    page = as_user("store1").get("/admin/sales_order/new/").get_data(as_text=True)
    assert 'name="pickup_location"' in page
    choices = page.split('name="pickup_location"')[1].split("</select>")[0]
    assert "南京西路店" in choices and "总部仓库" in choices and "徐家汇店" not in choices


def test_an_express_order_ships_from_the_configured_warehouse(world, clerk):
    stock(world, world.hq)
    stock(world, world.s1)
    order = to_paid(
        world, draft(world, world.store1, world.c_store1, delivery="express", address="上海")
    )
    with pytest.raises(rules.RuleViolation, match="pickup at their own store"):
        step(clerk, order)
    with db.connection_context(), acting(world.warehouse):  # with the ship step's form (item 5)
        approve(reload(order), "", {"courier": "顺丰速运", "tracking_no": "SF1234567890"})
    order = reload(order)
    assert order.ship_from_id == world.hq.id
    assert (on_hand(world, world.s1), on_hand(world, world.hq)) == (10, 8)


def test_store_staff_hand_out_only_their_own_stores_pickups(as_user, world, clerk):
    stock(world, world.hq)
    order = draft(world, world.store1, world.c_store1, pickup_location=world.hq.id)
    order = to_paid(world, order)
    with pytest.raises(rules.RuleViolation, match="pickup at their own store"):
        step(clerk, order)  # their store's order, but picked up at HQ
    with pytest.raises(rules.RuleViolation):
        step(world.store2, order)  # another store's order
    as_user("store2").post(
        "/admin/sales_order/action/", {"action": "to_shipped", "rowid": order.id}
    )
    assert reload(order).status == "paid" and on_hand(world, world.hq) == 10
    assert step(world.warehouse, order).ship_from_id == world.hq.id


def test_the_shortfall_names_the_location(world, clerk):
    stock(world, world.hq)
    stock(world, world.s1, qty=1)
    order = to_paid(world, draft(world, world.store1, world.c_store1, qty=3))
    with pytest.raises(rules.RuleViolation) as refused:
        step(clerk, order)
    message = refused.value.message()
    assert "南京西路店" in message and "蜂胶软胶囊" in message and "short 2" in message
    assert reload(order).status == "paid" and on_hand(world, world.s1) == 1


@pytest.mark.parametrize("pickup", ["hq", "s2"])
def test_the_pickup_voucher_prints_the_place_the_stock_left(world, pickup):
    """A store customer collecting at HQ, and an HQ customer collecting at another store."""
    import printouts

    place = getattr(world, pickup)
    stock(world, place)
    customer = world.c_store1 if pickup == "hq" else world.c_sales1
    seller = world.store1 if pickup == "hq" else world.sales1
    order = draft(world, seller, customer, pickup_location=place.id)
    order = to_paid(world, order)
    with system():
        before = squeeze(pdf_text(printouts.render_pdf("pickup_voucher", [reload(order)])))
    order = step(world.warehouse, order)
    assert order.ship_from_id == place.id and on_hand(world, place) == 8
    with system():
        after = squeeze(pdf_text(printouts.render_pdf("pickup_voucher", [reload(order)])))
    for text in (before, after):
        assert "领货地点" in text and place.name in text
        others = {world.hq.name, world.s1.name, world.s2.name} - {place.name}
        assert not any(name in text for name in others), text


def test_a_stores_home_page_counts_only_its_own_pickups_waiting(as_user, world, clerk):
    import re

    at_store = to_paid(world, draft(world, world.store1, world.c_store1))
    to_paid(world, draft(world, world.store1, world.c_store1, pickup_location=world.hq.id))
    assert at_store.pickup_location_id == world.s1.id

    def waiting_to_ship(username):
        page = as_user(username).get("/admin/").get_data(as_text=True)
        found = re.search(
            r'count[^>]*">(\d+)</div>\s*<div class="small">[^<]*(已出库|Shipped)', page
        )
        return int(found.group(1))

    assert waiting_to_ship("store1b") == 1
    assert waiting_to_ship("warehouse") == 2


def test_a_missing_ship_from_warehouse_is_named_not_a_crash(world):
    with system():
        world.hq.code = "OLD01"
        world.hq.save()
    order = draft(world, world.sales1, world.c_sales1, delivery="express", address="上海")
    with pytest.raises(rules.RuleViolation, match="WH01"):
        step(world.warehouse, to_paid(world, order))
    assert reload(order).status == "paid"
