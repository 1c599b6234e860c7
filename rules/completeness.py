"""Required fields from config: hard ones block the save, soft ones flag the record (A2)."""

from __future__ import annotations

from typing import Any

from rules import Actor, settings
from rules.i18n import gettext as _


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _value(record: Any, name: str) -> Any:
    """The field's value; a foreign key's id as stored (an unset one is None, not a lookup)."""
    field = type(record)._meta.fields.get(name)
    if field is not None and hasattr(field, "rel_model"):
        return record.__data__.get(name)
    return getattr(record, name, None)


def missing(record: Any, names: list[str]) -> list[str]:
    """Return the names among `names` whose value on `record` is blank."""
    return [n for n in names if _blank(_value(record, n))]


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


from rules.custom_fields import check_custom_required  # noqa: E402 - custom fields' hook

CHECKS = [check_required, check_custom_required]
