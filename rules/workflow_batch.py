"""Effects taken set-based per batch (issue 8 item 8): the fast path of a bulk run.

A process module may give an effect a set-based twin:

    @batch_effect("sales_order", "earn_points", accepts=lambda m: m.points_redeemed == 0)
    def earn_points_batch(model, where, step, now): ...  # returns the record's own changes

`accepts(model)` is the SQL condition under which the per-record effect cannot refuse; only
rows that meet it for every effect, and that the engine lets the person move (state, role,
row scope, self-approval: the same `_eligible` as set-based steps), are moved set-based. Every
other row of the batch goes through `take()`, which moves it or says why not. So a batch
keeps every rule of the per-record path, and the engine computes each refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from peewee import Value

from models.audit import utcnow
from rules import SYSTEM, Actor, acting_as
from rules.workflow import Step, flow
from rules.workflow_config import WorkflowTransition


@dataclass(frozen=True)
class BatchEffect:
    fn: Callable[[Any, Any, Step, Any], dict]
    accepts: Callable[[Any], Any]


_batched: dict[tuple[str, str], BatchEffect] = {}


def batch_effect(table: str, name: str, *, accepts: Callable[[Any], Any]):
    """Decorator: `fn(model, where, step, now)` does effect `name` on every row of `where` at
    once (as SYSTEM on the person's behalf) and returns the record's own column changes."""

    def deco(fn: Callable[[Any, Any, Step, Any], dict]) -> Callable[[Any, Any, Step, Any], dict]:
        _batched[(table, name)] = BatchEffect(fn, accepts)
        return fn

    return deco


def take_set_based(
    model: Any, ids: list[int], t: WorkflowTransition, person: Actor, note: str
) -> set[int]:
    """Move the rows of `ids` that surely pass, set-based; return their ids (the caller takes
    the others one by one). Runs in the caller's transaction; nothing when an effect of `t`
    has no set-based twin."""
    from models.workflow import Transition
    from rules.bulk import audited_update
    from rules.workflow_bulk import _eligible
    from rules.workflow_notify import notify_next

    key = model.model_key()
    twins = [_batched.get((key, name)) for name in t.effects]
    if not ids or None in twins or t.lines is not None:  # per-line fields: each row by take()
        return set()
    now = utcnow()
    where = _eligible(model, model.id.in_(ids), t, person, now)
    for twin in twins:
        where &= twin.accepts(model)
    sure = [r for (r,) in model.select(model.id).where(where).tuples()]
    if not sure:
        return set()
    chosen = model.id.in_(sure)
    step = Step(person, t, t.from_[0], note)
    system = replace(SYSTEM, on_behalf_of=person.username, via=f"{key}/{t.action}/{len(sure)}")
    changes: dict = {}
    with acting_as(system):
        for twin in twins:
            changes.update(twin.fn(model, chosen, step, now))
    status = getattr(model, flow(key).field)
    columns = ["model", "record_id", "from_state", "to_state", "by_id", "by_name", "at", "note"]
    log = model.select(
        Value(key), model.id, status, Value(t.to), Value(person.id), Value(person.username),
        Value(now), Value(note),
    ).where(chosen)  # fmt: skip
    Transition.insert_from(log, [getattr(Transition, c) for c in columns]).execute()
    audited_update(model, chosen, {status: t.to, **changes}, person)
    notify_next(key, t.to, person, t.action, len(sure))
    return set(sure)
