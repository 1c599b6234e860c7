"""What people type into a grid's search box, turned into conditions an index answers.

Customers: a name, a whole mobile number or its first digits, its last 4 digits (尾号), a
WeChat ID. Orders: any part of the number people type (its daily sequence `0008` or `8`, its
date part `20261202`, the whole number in any case), the customer's name or mobile number.
Never `LIKE '%…'`: each form is a range or an equality on an index (migration 14).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from peewee import SQL, fn

from rules import settings
from rules.customers import normalise_phone
from rules.pool_privacy import last4
from rules.scope import NOTHING, any_of

# The last 4 characters of an order number (its daily sequence, `0008`), written with
# literals so that SQLite and PostgreSQL match it to the expression index of migration 14.
ORDER_TAIL_INDEX_SQL = "substr(number, length(number) - 3)"


def prefix_range(field: Any, prefix: str) -> Any:
    """`field` starts with `prefix`, as a range both SQLite and PostgreSQL answer from an index."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (field >= prefix) & (field < upper)


def tidy(term: str) -> str:
    """Full-width letters and digits as stored (ＳＯ－００８ is SO-008)."""
    return unicodedata.normalize("NFKC", term).strip()


def phone_digits(term: str) -> str | None:
    """The digits of a typed phone number (dashes, spaces, +86 dropped), None if it is not one."""
    key = normalise_phone(term)
    return key if key and key.isascii() and key.isdigit() else None


def customer_phone_clause(model: Any, term: str) -> Any | None:
    """A whole number or its first digits (prefix); 4 digits also the last 4 (尾号)."""
    key = phone_digits(term)
    if key is None:
        return None
    clause = prefix_range(model.phone, key)
    return (last4(model) == key) | clause if len(key) == 4 else clause


def order_tail(model: Any) -> Any:
    """SQL: the last 4 characters of `model.number`, answered from the migration-14 index."""
    return fn.SUBSTR(model.number, fn.LENGTH(model.number) - SQL("3"))


def order_number_clause(model: Any, term: str) -> Any | None:
    """Any part of an order number people type, or None when the term cannot be one.

    `8`, `08`, `0008`: the daily sequence (the last 4 characters); `20261202`: the day's orders
    (a prefix); `20261202-0008`, `SO-20261202-0008`, `so-2026…`: the number or its beginning."""
    key = tidy(term).upper()
    stem = settings().sales.number_prefix.upper()
    if key.isascii() and key.isdigit():
        if len(key) <= 4:
            return order_tail(model) == key.zfill(4)
        if len(key) == 12:  # 202612020008: the date and the sequence without the dash
            key = f"{key[:8]}-{key[8:]}"
        return prefix_range(model.number, f"{stem}-{key}")
    if not key.replace("-", "").isalnum() or not key.isascii():
        return None
    return prefix_range(model.number, key if key[0].isalpha() else f"{stem}-{key}")


def order_search_clause(order: Any, customer: Any, term: str) -> Any:
    """Orders whose number, customer name or customer mobile matches `term`.

    Each form is one index search, united by id (an OR across a subquery leaves PostgreSQL no
    index): the number's tail or prefix, and the customers found by name prefix or phone."""
    conditions = []
    number = order_number_clause(order, term)
    if number is not None:
        conditions.append(number)
    key = phone_digits(term)
    if key is not None and len(key) >= 5:  # a mobile number or its first digits
        people = customer.select(customer.id).where(prefix_range(customer.phone, key))
        conditions.append(order.customer.in_(people))
    elif not any(c.isdigit() for c in term):
        people = customer.select(customer.id).where(prefix_range(customer.name, tidy(term)))
        conditions.append(order.customer.in_(people))
    if not conditions:
        return NOTHING
    return conditions[0] if len(conditions) == 1 else any_of(order, *conditions)
