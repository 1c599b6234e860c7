"""Customer rules: phone normalisation and the company-wide duplicate check (A1)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rules import Actor, register
from rules.i18n import gettext as _
from rules.scope import scope

_PREFIX = re.compile(r"^(?:\+86|0086)")
# ASCII digits only: Python's \d also matches Arabic-Indic, Devanagari… digits (A1).
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def normalise_phone(raw: str | None) -> str:
    """NFKC (full-width １３９ becomes 139), then strip spaces, dashes and a leading +86/0086."""
    text = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", raw or ""))
    return _PREFIX.sub("", text)


def foreign_digits(phone: str) -> bool:
    """True when `phone` holds a digit of another script (٣, ३…) that NFKC leaves as is."""
    return any(c.isdigit() and not c.isascii() for c in phone)


def duplicate_message(phone: str, exclude_id: Any = None) -> str | None:
    """The A1 refusal for `phone`: who owns it, or that it sits in the pool; None if free."""
    from models.customers import Customer

    query = Customer.select(Customer.id, Customer.owner).where(Customer.phone == phone)
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    other = query.first()
    if other is None:
        return None
    if other.owner_id is None:
        return _("A customer with this phone is already in the public pool; claim it there.")
    return _("This phone already belongs to a customer owned by %(owner)s.", owner=str(other.owner))


@register("customer")
def check_phone(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Normalise the phone, require a mainland mobile number, refuse a duplicate."""
    if action == "delete" or not record.phone:
        return None
    record.phone = normalise_phone(record.phone)
    if foreign_digits(record.phone):
        return {"phone": [_("Type the mobile number with the digits 0-9.")]}
    if not MOBILE.match(record.phone):
        return {"phone": [_("Enter an 11-digit mobile number, e.g. 139 1234 5678.")]}
    if old is not None and old.get("phone") == record.phone:
        return None  # unchanged: the row holds it already (a UNIQUE column), no lookup
    message = duplicate_message(record.phone, exclude_id=record.get_id())
    return {"phone": [message]} if message else None


@register("customer")
def check_choices(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Gender and level take one of their listed values."""
    from models.customers import GENDERS, LEVELS

    errors = {}
    if action != "delete" and record.gender not in (None, "", *GENDERS):
        errors["gender"] = [_("Choose female or male.")]
    if action != "delete" and record.level not in LEVELS:
        errors["level"] = [_("Choose a level: %(levels)s.", levels=", ".join(LEVELS))]
    return errors or None


LEVEL_SETTERS = {"owner", "sales_supervisor"}


@register("customer")
def check_level_change(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A customer's level sets their reclaim limit, so only the owner role or a supervisor
    may raise or lower it (a salesperson could otherwise lengthen their own clock)."""
    if action == "delete" or actor.is_system or actor.has_any(LEVEL_SETTERS):
        return None
    before = "normal" if old is None else old["level"]
    if record.level != before:
        return {"level": [_("Only the owner or a sales supervisor may change a customer's level.")]}
    return None


@scope("customer", "salesperson")
def salesperson_customers(model: type, actor: Actor) -> Any:
    """A salesperson sees their own customers and the company pool."""
    return (model.owner == actor.id) | (model.owner.is_null() & model.store.is_null())


@scope("customer", "store_staff")
def store_customers(model: type, actor: Actor) -> Any:
    """Store staff see their store's customers (owned or in the store pool)."""
    return model.store == actor.store_id


def customers_served_by(actor: Actor) -> Any:
    """Owned customers the actor acts for (follow-ups, sales): their own or their store's;
    the owner role may act for any."""
    from models.customers import Customer
    from rules.scope import visible

    query = visible(Customer.select(), Customer, actor).where(Customer.owner.is_null(False))
    if not actor.is_system and "owner" not in actor.roles:
        mine = Customer.owner == actor.id
        if actor.store_id:
            mine = mine | (Customer.store == actor.store_id)
        query = query.where(mine)
    return query.order_by(Customer.name)
