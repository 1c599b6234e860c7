"""Pool privacy (A4): a pool customer's mobile number is masked (138****5678) for everyone but
the owner and sales-supervisor roles until someone claims the customer, and the pool is
searched only by a whole number or its last 4 digits, so no one can read the hidden digits
back with prefix searches."""

from __future__ import annotations

from typing import Any

from peewee import SQL, fn

from rules import Actor
from rules.customers import normalise_phone
from rules.scope import NOTHING

# Roles that see pool customers' numbers whole (and may search the pool by prefix).
WHOLE_NUMBER_ROLES = frozenset({"owner", "sales_supervisor"})

# The last 4 digits of an 11-digit mobile number. Written with a literal (never a bound
# parameter) so that SQLite and PostgreSQL match it to the expression index of migration 7.
LAST4_INDEX_SQL = "substr(phone, 8)"


def sees_whole_numbers(actor: Actor) -> bool:
    """True for SYSTEM and the roles that see pool numbers unmasked."""
    return actor.is_system or bool(actor.roles & WHOLE_NUMBER_ROLES)


def mask_phone(phone: str | None) -> str:
    """138****5678: the first 3 and last 4 digits; the middle ones hidden."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def last4(model: type) -> Any:
    """SQL: the last 4 digits of `model.phone`, answered from the migration-7 index."""
    return fn.SUBSTR(model.phone, SQL("8"))


def pool_search_clause(model: type, term: str) -> Any | None:
    """The pool search for a person who sees masked numbers: a term with digits matches a
    whole number or its last 4 digits, nothing else. None for a term without digits."""
    if not any(c.isdigit() for c in term):
        return None
    key = normalise_phone(term)
    if not (key.isascii() and key.isdigit()):
        return NOTHING
    if len(key) == 11:
        return model.phone == key
    if len(key) == 4:
        return last4(model) == key
    return NOTHING
