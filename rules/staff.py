"""Staff rules: roles must exist in config, store staff need a store."""

from __future__ import annotations

from typing import Any

from rules import Actor, register, settings
from rules.i18n import gettext as _


@register("staff")
def check_roles(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Every role must be declared in [roles]; a store_staff member must have a store."""
    if action == "delete":
        if record.get_id() == actor.id:
            return {"__all__": [_("You cannot delete your own account.")]}
        return None
    errors: dict[str, list[str]] = {}
    unknown = sorted(record.role_set - set(settings().roles))
    if unknown:
        errors["roles"] = [_("Unknown role: %(role)s", role=", ".join(unknown))]
    elif not record.role_set:
        errors["roles"] = [_("Give this person at least one role.")]
    if "store_staff" in record.role_set and record.store_id is None:
        errors["store"] = [_("Store staff must belong to a store.")]
    return errors or None


@register("location")
def check_kind(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A location is either the warehouse or a store."""
    if action != "delete" and record.kind not in ("warehouse", "store"):
        return {"kind": [_("Choose warehouse or store.")]}
    return None
