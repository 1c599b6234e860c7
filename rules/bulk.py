"""Set-based writes on governed tables, with their audit rows, for jobs and bulk verbs.

Peewee's Model.update() skips save() and so the rules; the callers here (rules/ only) select
the rows with the rule itself (e.g. "due for reclaim") and this helper writes the same audit
trail as save() would, in the same transaction, with two statements whatever the row count.
"""

from __future__ import annotations

from typing import Any

from peewee import Cast, Field, Value, fn

from models.audit import AuditLog, utcnow
from models.db import db, is_postgres
from rules import Actor


def _json_changes(changes: dict[Field, Any]) -> Any:
    """SQL building {"field": [old, new], ...} per row (json_object / json_build_object)."""
    obj, arr = (
        (fn.json_build_object, fn.json_build_array)
        if is_postgres()
        else (fn.json_object, fn.json_array)
    )
    args: list[Any] = []
    for field, new in changes.items():
        new_expr = (
            new
            if hasattr(new, "sql") or isinstance(new, Field)
            else Value(_plain(new), converter=False)
        )
        args += [Value(field.name), arr(field, new_expr)]
    return Cast(obj(*args), "TEXT")


def _plain(value: Any) -> Any:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else value


AUDIT_COLUMNS = [
    AuditLog.model,
    AuditLog.record_id,
    AuditLog.action,
    AuditLog.actor_id,
    AuditLog.actor_name,
    AuditLog.at,
    AuditLog.changes,
    AuditLog.on_behalf_of,
    AuditLog.via,
]


def _pk_text(model: type) -> Any:
    return Cast(model._meta.primary_key, "VARCHAR(40)" if is_postgres() else "TEXT")


def audit_created(model: type, where: Any, actor: Actor, now: Any) -> None:
    """Audit rows for rows just inserted in bulk (found by `where`, e.g. created_at == now)."""
    rows = model.select(
        Value(model.model_key()),
        _pk_text(model),
        Value("create"),
        Value(actor.id),
        Value(actor.username),
        Value(now),
        Value("{}"),
        Value(actor.on_behalf_of),
        Value(actor.via),
    ).where(where)
    AuditLog.insert_from(rows, AUDIT_COLUMNS).execute()


def audited_update(model: type, where: Any, changes: dict[Field, Any], actor: Actor) -> int:
    """UPDATE `model` rows matching `where` with `changes`, writing one audit row each.

    Returns the number of rows changed. Must run inside the caller's transaction.
    """
    now = utcnow()
    with db.atomic():
        audit = model.select(
            Value(model.model_key()),
            _pk_text(model),
            Value("update"),
            Value(actor.id),
            Value(actor.username),
            Value(now),
            _json_changes(changes),
            Value(actor.on_behalf_of),
            Value(actor.via),
        ).where(where)
        AuditLog.insert_from(audit, AUDIT_COLUMNS).execute()
        values = {**changes, model.version: model.version + 1, model.updated_at: now}
        return model.update(values).where(where).execute()


def days_since(moment: Any, now: Any) -> Any:
    """SQL: whole-and-fractional days from `moment` (a column) to `now` (a parameter)."""
    if is_postgres():
        return fn.date_part("epoch", Value(now) - moment) / 86400.0
    return fn.julianday(Value(now)) - fn.julianday(moment)
