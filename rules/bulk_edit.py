"""Bulk edit (issue 10 item 2): one field set to one value on many rows, every row through
the rules (`save()` -> `rules.enforce`), one result per row.

Correctness first: each row is saved on its own (a savepoint per row, a transaction per batch
of `[tasks] bulk_batch`), so a refused row (a rule, a duplicate) is rolled back alone and
comes back with its reason, naming the row and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from peewee import IntegrityError

from models.bulk import BulkRun
from models.db import db, is_postgres
from rules import RuleViolation, current_actor, settings
from rules.i18n import gettext as _

# Fields that have their own verbs (or must never be typed in), whatever the form offers.
NEVER = {"customer": {"owner", "owner_id"}}
NEVER_ANYWHERE = {"id", "version", "created_at", "updated_at"}
# Fields whose rules look at the row alone (no other rows, no scope, no model hooks on update):
# for these a batch is checked row by row in memory with `rules.enforce`, and the rows that
# pass are written with one UPDATE and one audit INSERT ... SELECT (rules/bulk.py).
SET_BASED = {"customer": {"name", "gender", "birthday", "wechat", "address", "level", "notes"}}
EDIT = "bulk_edit"  # BulkRun.action of an edit run; its note holds {"field", "value"}


def offered(model: Any, names: list[str]) -> list[str]:
    """Of the form's field `names`, those a bulk edit may set on `model`'s table."""
    from rules.workflow import workflow

    key = model.model_key()
    blocked = NEVER_ANYWHERE | NEVER.get(key, set())
    if workflow(key) is not None:
        blocked |= {"status"}
    fields = model._meta.fields
    return [n for n in names if n in fields and n not in blocked and "password" not in n.lower()]


@dataclass
class Outcome:
    """What a bulk edit did: rows changed, and per refused row (id, text, reason)."""

    changed: int = 0
    refused: list[list[Any]] = field(default_factory=list)


def _check(model: Any, name: str) -> None:
    if name not in offered(model, [name]):
        raise RuleViolation({name: [_("This field cannot be changed in bulk.")]})


def edit_rows(model: Any, ids: list[int], name: str, value: Any) -> Outcome:
    """Set `name` to `value` on the rows `ids` (already scoped by the caller), in batches."""
    _check(model, name)
    out, size = Outcome(), settings().tasks.bulk_batch
    for start in range(0, len(ids), size):
        with db.atomic():
            edit_batch(model, ids[start : start + size], name, value, out)
    return out


def edit_batch(model: Any, chunk: list[int], name: str, value: Any, out: Outcome) -> None:
    """One batch in the caller's transaction: set-based for the rows that pass the checks
    where the field allows it, else each row saved in its own savepoint."""
    if name in SET_BASED.get(model.model_key(), ()) and not model._meta.fields[name].unique:
        set_based_batch(model, chunk, name, value, out)
        return
    rows = {r.id: r for r in model.select().where(model.id.in_(chunk))}
    for rid in chunk:
        row = rows.get(rid)
        if row is None:
            out.refused.append([rid, f"#{rid}", _("It no longer exists.")])
            continue
        try:
            with db.atomic():
                setattr(row, name, value)
                row.save()
            out.changed += 1
        except RuleViolation as exc:
            out.refused.append([rid, str(row), exc.message()])
        except IntegrityError:
            why = f"{name}: {_('This value is already used by another record.')}"
            out.refused.append([rid, str(row), why])


def _plain(value: Any) -> Any:
    """The value as JSON can keep it (a row by its id, a date as ISO text, money as text)."""
    if hasattr(value, "_meta"):
        return value.get_id()
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def open_edit_run(model: Any, ids: list[int], name: str, value: Any) -> BulkRun:
    """Record a bulk edit of the (scoped) rows `ids` to run as a job, in batches."""
    _check(model, name)
    note = json.dumps({"field": name, "value": _plain(value)}, ensure_ascii=False)
    if len(note) > BulkRun.note.max_length:
        raise RuleViolation({name: [_("This value is too long to set on so many records.")]})
    actor = current_actor()
    return BulkRun.create(
        person_id=actor.id, person_name=actor.username, model=model.model_key(), action=EDIT,
        to_state="", note=note, ids=json.dumps(ids), total=len(ids),
    )  # fmt: skip


def run_edit_batch(model: Any, run: BulkRun, chunk: list[int]) -> None:
    """One batch of an edit run (rules.workflow_bulk_run calls it in its transaction)."""
    edit = json.loads(run.note)
    name = edit["field"]
    _check(model, name)
    value = model._meta.fields[name].python_value(edit["value"])
    out = Outcome(refused=run.refusals)
    edit_batch(model, chunk, name, value, out)
    run.moved += out.changed
    run.refused = json.dumps(out.refused, ensure_ascii=False)


def set_based_batch(model: Any, chunk: list[int], name: str, value: Any, out: Outcome) -> None:
    """The same checks as save() (`rules.enforce` on each row with its stored values), then
    one audited UPDATE for the rows that pass; refused rows keep their reason."""
    from rules import enforce
    from rules.bulk import audited_update

    query = model.select().where(model.id.in_(chunk))
    rows = {r.id: r for r in (query.for_update() if is_postgres() else query)}
    passing = []
    for rid in chunk:
        row = rows.get(rid)
        if row is None:
            out.refused.append([rid, f"#{rid}", _("It no longer exists.")])
            continue
        old = dict(row.__data__)
        setattr(row, name, value)
        try:
            enforce(row, "update", old)
        except RuleViolation as exc:
            out.refused.append([rid, str(row), exc.message()])
            continue
        if row.__data__[name] != old[name]:
            passing.append(rid)
        out.changed += 1  # an unchanged row passes without a write, as save() audits nothing
    if passing:
        audited_update(
            model, model.id.in_(passing), {model._meta.fields[name]: value}, current_actor()
        )
