"""Role permissions (config [permissions]) and row scope, checked on every write."""

from __future__ import annotations

from typing import Any

from rules import Actor, settings
from rules.i18n import gettext as _
from rules.scope import in_scope

ACTION_TO_PERMISSION = {"create": "create", "update": "edit", "delete": "delete"}


def may(actor: Actor, model_key: str, permission: str) -> bool:
    """True when the actor's roles allow `permission` (view/create/edit/delete/export)."""
    return actor.has_any(settings().roles_may(model_key, permission))


def check_role(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Refuse a write by a role that config does not allow."""
    key = record.model_key()
    if not may(actor, key, ACTION_TO_PERMISSION[action]):
        return {"__denied__": [_("You may not %(action)s this record.", action=_(action))]}
    return None


def check_scope(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Refuse an update or delete of a row outside the actor's row scope."""
    if action in ("update", "delete") and not in_scope(type(record), record.get_id(), actor):
        return {"__denied__": [_("This record is outside your scope.")]}
    return None


def check_references(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A foreign key a person sets must point at a row they may see: a crafted id (a form,
    an inline edit, an import, code) cannot attach another person's customer."""
    from models.base import fk_columns

    if action == "delete" or actor.is_system:
        return None
    errors = {}
    for field in fk_columns(type(record)):
        value = record.__data__.get(field.name)
        if value is None or (old is not None and old.get(field.name) == value):
            continue
        target = field.rel_model
        if hasattr(target, "model_key") and not in_scope(target, value, actor):
            errors[field.name] = [_("You may not choose this record: it is outside your scope.")]
    return errors or None


CHECKS = [check_role, check_scope, check_references]
