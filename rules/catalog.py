"""Catalog rules: prices are never negative."""

from __future__ import annotations

from typing import Any

from rules import Actor, register
from rules.i18n import gettext as _


@register("product")
def check_price(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A product price is a Decimal of zero or more."""
    if action != "delete" and record.price is not None and record.price < 0:
        return {"price": [_("The price cannot be negative.")]}
    return None
