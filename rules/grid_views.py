"""Saved views (issue 10 item 1): a person writes only their own views; only the owner role
shares a view with a role or makes it a role's default; names are given and unique per person
and grid (the model turns a duplicate into a message on `name`)."""

from __future__ import annotations

from typing import Any

from rules import Actor, register, settings
from rules.i18n import gettext as _
from rules.scope import scope

SHARER = "owner"


@scope("saved_view", "*")
def own_views(model: type, actor: Actor) -> Any:
    """A person's saved views are theirs; views shared with a role are read, never written."""
    return model.owner == actor.id


@register("saved_view")
def check_saved_view(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    if actor.is_system:
        return None
    errors: dict[str, list[str]] = {}
    owners = {record.owner_id, *(() if old is None else (old["owner"],))}
    if owners != {actor.id}:
        return {"__denied__": [_("You may change only your own saved views.")]}
    if action == "delete":
        return None
    if not (record.name or "").strip():
        errors["name"] = [_("Give the view a name.")]
    role = record.shared_role or ""
    before = ("", False) if old is None else (old["shared_role"] or "", bool(old["is_default"]))
    if (role, bool(record.is_default)) != before and SHARER not in actor.roles:
        errors["shared_role"] = [_("Only the owner may share a view with a role.")]
    elif role and role not in settings().roles:
        errors["shared_role"] = [_("There is no such role.")]
    if record.is_default and not role:
        errors["is_default"] = [_("Only a view shared with a role can be its default.")]
    return errors or None
