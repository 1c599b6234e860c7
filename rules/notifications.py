"""The inbox: each person sees only their own messages; jobs send them in bulk, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.audit import utcnow
from models.db import db
from rules import Actor, current_actor, register, settings
from rules.bulk import audit_created
from rules.i18n import gettext as _
from rules.i18n import speaking
from rules.scope import scope


@scope("notification", "*")
def own_inbox(model: type, actor: Actor) -> Any:
    """Everyone, the owner included, sees only messages addressed to them."""
    return model.recipient == actor.id


@register("notification")
def check_read_only_fields(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """People may mark their messages read or delete them, not rewrite them."""
    if action != "update" or actor.is_system:
        return None
    for name in ("recipient", "title", "body", "link", "key"):
        if old[name] != getattr(record, f"{name}_id" if name == "recipient" else name):
            return {name: [_("A message cannot be edited.")]}
    return None


def compose(recipients: list[int], message: Callable[[int], dict[str, Any]]) -> list[dict]:
    """One message per recipient, written in that person's language (else the company's):
    a job runs in the neutral language, but each person reads their inbox in their own."""
    from models.staff import Staff

    default = settings().app.default_locale
    chosen = dict(Staff.select(Staff.id, Staff.locale).where(Staff.id.in_(recipients)).tuples())
    composed = []
    for recipient in recipients:
        with speaking(chosen.get(recipient) or default):
            composed.append(message(recipient))
    return composed


def send(messages: list[dict[str, Any]]) -> int:
    """Insert messages ({recipient, title, body, link, key}); a repeated key is skipped."""
    from models.notifications import Notification

    if not messages:
        return 0
    now = utcnow()
    rows = [
        {
            "body": "",
            "link": "",
            "key": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            **m,
        }
        for m in messages
    ]
    with db.atomic():
        for start in range(0, len(rows), 500):
            Notification.insert_many(rows[start : start + 500]).on_conflict_ignore().execute()
        made = Notification.created_at == now
        audit_created(Notification, made, current_actor(), now)
        return Notification.select().where(made).count()


def mark_read(notification: Any) -> None:
    """Mark one message read (through save(), so it is scoped and audited)."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        notification.save()
