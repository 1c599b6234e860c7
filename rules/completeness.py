"""Required fields from config: hard ones block the save, soft ones flag the record (A2)."""

from __future__ import annotations

from typing import Any

from rules import Actor, settings
from rules.i18n import gettext as _


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing(record: Any, names: list[str]) -> list[str]:
    """Return the names among `names` whose value on `record` is blank."""
    return [n for n in names if _blank(getattr(record, n, None))]


def check_required(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Block a create/update with a blank hard-required field; set `incomplete` for soft ones."""
    if action == "delete":
        return None
    rule = settings().rules.get(record.model_key())
    if rule is None:
        return None
    if "incomplete" in type(record)._meta.fields:
        record.incomplete = bool(missing(record, rule.soft_required))
    return {name: [_("This field is required.")] for name in missing(record, rule.required)}


CHECKS = [check_required]
