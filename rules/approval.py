"""Approval chains from config (B2; later D, E, F): draft → step 1 → … → last step.

The order of steps comes from `[rules.<table>] approval`. `enforce` compares the stored state
with the new one, so a skipped step, a step out of order, a step by the wrong role or a
self-approval is refused whatever the path (form, inline edit, bulk action, import, crafted
POST). State changes must come through the verbs here, which also write the transition log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from models.audit import utcnow
from rules import Actor, RuleViolation, current_actor, settings
from rules.i18n import gettext as _

DRAFT, CANCELLED = "draft", "cancelled"
_FLAG = "_transition"

# Side effects when a record enters a state: {model_key: {state: fn(record, actor, note)}}.
on_enter: dict[str, dict[str, Callable[[Any, Actor, str], None]]] = {}


def steps(model_key: str) -> list[Any]:
    """The configured approval steps of a table (empty when it has none)."""
    rule = settings().rules.get(model_key)
    return list(rule.approval) if rule else []


def states(model_key: str) -> list[str]:
    return [DRAFT, *(s.state for s in steps(model_key))]


def next_step(model_key: str, state: str) -> Any | None:
    """The step that follows `state`, or None at the end of the chain."""
    chain = steps(model_key)
    order = states(model_key)
    if state not in order or order.index(state) >= len(chain):
        return None
    return chain[order.index(state)]


def _self_approval(record: Any, actor: Actor) -> bool:
    """True when the actor entered the record or already took one of its steps."""
    from models.workflow import Transition

    rule = settings().rules[record.model_key()]
    if rule.allow_self_approval or actor.is_system:
        return False
    if getattr(record, "created_by_id", None) == actor.id:
        return True
    return _moved_by(actor.id, record.model_key(), Transition.record_id == record.id).exists()


def _moved_by(actor_id: int | None, key: str, which: Any) -> Any:
    """Forward transitions of `key` rows matching `which` made by the actor in the current
    round (since the record last went back to draft: after a rejection everyone starts anew)."""
    from peewee import FieldAlias, fn

    from models.workflow import Transition

    back = Transition.alias("back")
    back_model = FieldAlias.create(back, Transition.model)  # `back.model` is the aliased class
    rejected_since = back.select(back.id).where(
        (back_model == key)
        & (back.record_id == Transition.record_id)
        & (back.to_state == DRAFT)
        & (back.at > Transition.at)
    )
    return Transition.select(Transition.id).where(
        which
        & (Transition.model == key)
        & (Transition.by_id == actor_id)
        & (Transition.to_state.not_in([DRAFT, CANCELLED]))
        & ~fn.EXISTS(rejected_since)
    )


def check_transition(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Refuse any state change that is not the next step by its role (or a verb's reject)."""
    key = record.model_key()
    if not steps(key) or action == "delete":
        return None
    moving = getattr(record, _FLAG, None)
    if action == "create":
        if record.status != DRAFT:
            return {"status": [_("A new record starts as a draft.")]}
        return None
    if old["status"] == record.status:
        if moving is None and record.status != DRAFT and not actor.is_system:
            return {"__all__": [_("Only a draft can be edited; reject it to draft first.")]}
        return None
    if moving is None:
        return {"status": [_("Use the approval actions to change the status.")]}
    return None


@contextmanager
def _moving(record: Any, to_state: str):
    setattr(record, _FLAG, to_state)
    try:
        yield
    finally:
        setattr(record, _FLAG, None)


def _move(record: Any, to_state: str, note: str) -> None:
    """Change the state, run its side effects, log the transition: one transaction."""
    from models.db import db
    from models.workflow import Transition

    actor = current_actor()
    from_state = record.status
    with db.atomic(), _moving(record, to_state):
        record.status = to_state
        effect = on_enter.get(record.model_key(), {}).get(to_state)
        if effect is not None:
            effect(record, actor, note)
        record.save()
        Transition.create(
            model=record.model_key(),
            record_id=record.id,
            from_state=from_state,
            to_state=to_state,
            by_id=actor.id,
            by_name=actor.username,
            at=utcnow(),
            note=note or "",
        )


def approve(record: Any, note: str = "") -> str:
    """Move the record to its next step; the actor must hold that step's role."""
    actor = current_actor()
    step = next_step(record.model_key(), record.status)
    if step is None:
        raise RuleViolation(
            _(
                "%(record)s is %(state)s: there is no next step.",
                record=str(record),
                state=_(record.status),
            )
        )
    if not actor.has_any(set(step.by)):
        raise RuleViolation(
            _(
                '%(record)s: the step "%(step)s" is for %(roles)s.',
                record=str(record),
                step=_(step.state),
                roles=", ".join(step.by),
            )
        )
    if step is not steps(record.model_key())[0] and _self_approval(record, actor):
        raise RuleViolation(
            _(
                "%(record)s: you entered it or took an earlier step, so someone else must approve "
                "this one.",
                record=str(record),
            )
        )
    _move(record, step.state, note)
    return step.state


def reject(record: Any, reason: str) -> None:
    """Send a record under review back to draft, with a reason (the next step's role only)."""
    actor = current_actor()
    step = next_step(record.model_key(), record.status)
    if record.status in (DRAFT, CANCELLED) or step is None:
        raise RuleViolation(
            _(
                "%(record)s is %(state)s and cannot be rejected.",
                record=str(record),
                state=_(record.status),
            )
        )
    if not actor.has_any(set(step.by)):
        raise RuleViolation(
            _(
                "%(record)s: only %(roles)s may reject it now.",
                record=str(record),
                roles=", ".join(step.by),
            )
        )
    if not (reason or "").strip():
        raise RuleViolation({"note": [_("Give a reason for the rejection.")]})
    _move(record, DRAFT, reason)


def cancel(record: Any, reason: str) -> None:
    """Cancel a record that has not reached the last step (its creator or the owner role)."""
    actor = current_actor()
    final = states(record.model_key())[-1]
    if record.status in (final, CANCELLED):
        raise RuleViolation(
            _(
                "%(record)s is %(state)s and cannot be cancelled.",
                record=str(record),
                state=_(record.status),
            )
        )
    if getattr(record, "created_by_id", None) != actor.id and "owner" not in actor.roles:
        raise RuleViolation(
            _("Only its creator or the owner role may cancel %(record)s.", record=str(record))
        )
    _move(record, CANCELLED, reason)


CHECKS = [check_transition]


def bulk_approve(model: Any, where: Any, to_state: str, note: str = "") -> int:
    """Move every row matching `where` that sits at the step before `to_state`, set-based.

    For steps without side effects (e.g. "verified"): two INSERT..SELECTs (transitions, audit)
    and one UPDATE whatever the row count. Rows at another state, outside the actor's scope,
    or submitted by the actor (unless self-approval is allowed) are left alone; the caller
    reports them. Returns the number of rows moved.
    """
    from peewee import Value

    from models.db import db
    from models.workflow import Transition
    from rules.bulk import audited_update
    from rules.scope import scope_expr

    actor = current_actor()
    key = model.model_key()
    order = states(key)
    if to_state not in order[1:]:
        raise RuleViolation(_('No approval step "%(step)s".', step=to_state))
    step = steps(key)[order.index(to_state) - 1]
    if on_enter.get(key, {}).get(to_state):
        raise RuleViolation(
            _('The step "%(step)s" is approved one record at a time.', step=_(to_state))
        )
    if not actor.has_any(set(step.by)):
        raise RuleViolation(
            _('The step "%(step)s" is for %(roles)s.', step=_(to_state), roles=", ".join(step.by))
        )
    eligible = where & (model.status == order[order.index(to_state) - 1])
    visible = scope_expr(model, actor)
    if visible is not None:
        eligible &= visible
    now = utcnow()
    if step is not steps(key)[0] and not settings().rules[key].allow_self_approval:
        from peewee import fn

        from models.workflow import Transition

        # Earlier steps only: this batch's own transition rows are written before the UPDATE.
        earlier = (Transition.record_id == model.id) & (Transition.at < now)
        eligible &= (model.created_by != actor.id) & ~fn.EXISTS(_moved_by(actor.id, key, earlier))
    with db.atomic():
        log = model.select(
            Value(key),
            model.id,
            model.status,
            Value(to_state),
            Value(actor.id),
            Value(actor.username),
            Value(now),
            Value(note or ""),
        ).where(eligible)
        Transition.insert_from(
            log,
            [
                Transition.model,
                Transition.record_id,
                Transition.from_state,
                Transition.to_state,
                Transition.by_id,
                Transition.by_name,
                Transition.at,
                Transition.note,
            ],
        ).execute()
        return audited_update(model, eligible, {model.status: to_state}, actor)
