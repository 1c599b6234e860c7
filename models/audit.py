"""The audit trail: who changed what, when, old -> new (cross-cutting requirement)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from peewee import SQL, CharField, DateTimeField, IntegerField, Model, TextField

from models.db import db


def utcnow() -> datetime:
    """Naive UTC now: every stored time is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def plain(value: Any) -> Any:
    """A JSON-safe, comparable form of a stored value."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # 396 and 396.00 are the same money
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class AuditLog(Model):
    """One create, update or delete of one record."""

    model = CharField(max_length=40)
    record_id = CharField(max_length=40)
    action = CharField(max_length=10)
    actor_id = IntegerField(null=True)
    actor_name = CharField(max_length=80)
    at = DateTimeField(default=utcnow, index=True)
    changes = TextField(default="{}")
    # A system effect of someone's step (e.g. the customer's last deal when finance confirms
    # payment): the actor is "system", these name the person and the step it was done for.
    on_behalf_of = CharField(max_length=80, default="", constraints=[SQL("DEFAULT ''")])
    via = CharField(max_length=120, default="", constraints=[SQL("DEFAULT ''")])

    class Meta:
        database = db
        table_name = "audit_log"
        indexes = (
            (("model", "record_id", "at"), False),
            (("actor_id", "at"), False),  # the home page: a person's own recent activity
        )

    @classmethod
    def model_key(cls) -> str:
        return "audit_log"

    @property
    def change_dict(self) -> dict[str, list[Any]]:
        return json.loads(self.changes or "{}")

    def __str__(self) -> str:
        return f"{self.action} {self.model}#{self.record_id}"

    @property
    def via_parts(self) -> tuple[str, str, str]:
        """The step a system effect served: (table, state, record), from "table/state/record"."""
        table, _sep, rest = (self.via or "").partition("/")
        state, _sep, record = rest.partition("/")
        return table, state, record

    @classmethod
    def record(cls, instance: Any, action: str, old: dict | None, actor: Any) -> None:
        """Write the audit row for one change of `instance`."""
        new = instance.stored_values() if action != "delete" else {}
        redact = getattr(instance._meta, "audit_redact", set())
        changes = {}
        for name in sorted(set(old or {}) | set(new)):
            before, after = plain((old or {}).get(name)), plain(new.get(name))
            if before != after and name not in ("version", "updated_at"):
                changes[name] = ["***", "***"] if name in redact else [before, after]
        if action == "update" and not changes:
            return
        cls.insert(
            model=instance.model_key(),
            record_id=str(instance.get_id()),
            action=action,
            actor_id=actor.id,
            actor_name=actor.username,
            on_behalf_of=actor.on_behalf_of,
            via=actor.via,
            changes=json.dumps(changes, ensure_ascii=False),
        ).execute()

    @classmethod
    def history(cls, model_key: str, record_id: Any) -> list[AuditLog]:
        """Every audit row of one record, newest first."""
        return list(
            cls.select()
            .where((cls.model == model_key) & (cls.record_id == str(record_id)))
            .order_by(cls.at.desc(), cls.id.desc())
        )
