"""Where a sale's goods leave (B4, A5): a pickup from its pickup location, an express parcel from
the configured warehouse; and who may take the goods-out step there.

A pickup order carries its pickup location: the customer's store, else the head-office
warehouse (`[sales] ship_from`), changeable while the order is a draft. Shipping posts the
outbound there, and the pickup voucher prints the same place.
"""

from __future__ import annotations

from typing import Any

from rules import Actor, RuleViolation, settings
from rules.i18n import gettext as _
from rules.scope import NOTHING


def warehouse_id() -> int | None:
    """The configured warehouse that ships express orders (and pickups with no store)."""
    from models.staff import Location

    return Location.select(Location.id).where(Location.code == settings().sales.ship_from).scalar()


def default_pickup(order: Any) -> int | None:
    """The customer's store, else the head-office warehouse."""
    from models.customers import Customer

    store = (
        Customer.select(Customer.store).where(Customer.id == order.customer_id).scalar()
        if order.customer_id
        else None
    )
    return store or warehouse_id()


def check_pickup_location(order: Any) -> dict[str, list[str]]:
    """A draft pickup gets its default place when none is chosen; the place must be in use.
    An express order has no pickup location."""
    from models.staff import Location

    if order.delivery != "pickup":
        order.pickup_location = None
        return {}
    if order.pickup_location_id is None:
        order.pickup_location = default_pickup(order)
        return {}
    place = Location.get_or_none(Location.id == order.pickup_location_id)
    if place is None or not place.active:
        return {"pickup_location": [_("Choose a location in use for the pickup.")]}
    return {}


def goods_leave_from(order: Any) -> int:
    """The location whose stock a shipment takes (see the module docstring); RuleViolation when
    that is the configured warehouse and no location has its code."""
    place = order.pickup_location_id if order.delivery == "pickup" else None
    place = place or (default_pickup(order) if order.delivery == "pickup" else warehouse_id())
    if place is None:
        raise RuleViolation(
            _(
                'No location has the code "%(code)s" set in [sales] ship_from.',
                code=settings().sales.ship_from,
            )
        )
    return place


def _store_bound(actor: Actor) -> bool:
    """Store staff without the warehouse role: they hand out their own store's pickups only."""
    return bool(actor.roles & {"store_staff"}) and not actor.has_any({"warehouse"})


def goods_out_where(model: type, actor: Actor) -> Any:
    """The orders whose goods the actor may take out, as SQL (None: every visible one)."""
    if not _store_bound(actor):
        return None
    if actor.store_id is None:
        return NOTHING
    return (model.delivery == "pickup") & (model.pickup_location == actor.store_id)


def check_goods_out(order: Any, place: int, actor: Actor) -> None:
    """Store staff take the goods-out step only for a pickup at their own store (A5); the
    warehouse role anywhere. Raise RuleViolation otherwise."""
    if not _store_bound(actor):
        return
    if order.delivery == "pickup" and actor.store_id is not None and place == actor.store_id:
        return
    raise RuleViolation(
        _(
            "%(order)s: store staff hand out goods only for a pickup at their own store; "
            "the warehouse ships this one.",
            order=str(order),
        )
    )
