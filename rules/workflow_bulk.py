"""Set-based transitions (B2 and every workflow): many records in a few statements.

For transitions without effects: two INSERT..SELECTs (transitions, audit) and one UPDATE
whatever the row count, with the same role, order, scope and self-approval checks as `take`.
A transition with effects is taken one record at a time (`take`).
"""

from __future__ import annotations

from typing import Any

from peewee import FieldAlias, Value, fn

from models.audit import utcnow
from rules import RuleViolation, current_actor
from rules.i18n import gettext as _
from rules.step_forms import field_label, required_fields
from rules.workflow import _locale, flow, holds_role, label, roles_text


def moved_by(actor_id: int | None, key: str, which: Any) -> Any:
    """Transitions of `key` rows matching `which` made by the actor in the current round
    (since the record last went back to the initial state), other than into that state."""
    from models.workflow import Transition

    initial = flow(key).initial()
    back = Transition.alias("back")
    back_model = FieldAlias.create(back, Transition.model)  # `back.model` is the aliased class
    rejected_since = back.select(back.id).where(
        (back_model == key)
        & (back.record_id == Transition.record_id)
        & (back.to_state == initial)
        & (back.at > Transition.at)
    )
    return Transition.select(Transition.id).where(
        which
        & (Transition.model == key)
        & (Transition.by_id == actor_id)
        & (Transition.to_state != initial)
        & ~fn.EXISTS(rejected_since)
    )


def _eligible(model: Any, where: Any, t: Any, actor: Any, now: Any) -> Any:
    """The rows matching `where` that the actor may move along `t` now."""
    from models.workflow import Transition
    from rules.scope import scope_expr

    wf = flow(model.model_key())
    status = getattr(model, wf.field)
    eligible = where & status.in_(t.from_)
    visible = scope_expr(model, actor)
    if visible is not None:
        eligible &= visible
    if not actor.has_any(set(t.roles)):  # only as "creator": their own records
        eligible &= model.created_by == actor.id
    if not t.self_approval and not actor.is_system:
        # Earlier steps only: this batch's own transition rows are written before the UPDATE.
        earlier = (Transition.record_id == model.id) & (Transition.at < now)
        mine = moved_by(actor.id, model.model_key(), earlier)
        eligible &= (model.created_by != actor.id) & ~fn.EXISTS(mine)
    return eligible


def eligible_count(model: Any, where: Any, t: Any, actor: Any) -> int:
    """How many rows matching `where` the actor may move along `t` now (asked before a bulk
    step, so the person knows how many records it will touch)."""
    return model.select().where(_eligible(model, where, t, actor, utcnow())).count()


def checked_step(
    model: Any, action: str, note: str, to: str | None, actor: Any, set_based: bool = False
) -> Any:
    """The transition `action` (ending at `to`) if `actor` may take it on some rows: their
    permission, checked once for a whole bulk step; refusals per row come from the engine."""
    key = model.model_key()
    t = next((x for x in flow(key).transitions if x.action == action and to in (None, x.to)), None)
    if t is None:
        raise RuleViolation(_('No step "%(step)s".', step=_(action)))
    if set_based and (t.effects or (t.lines and (t.lines.differences or t.lines.checks))):
        raise RuleViolation(
            _(
                'The step "%(step)s" is taken one record at a time.',
                step=label(key, t.to, _locale()),
            )
        )
    if t.reason_required and not (note or "").strip():
        raise RuleViolation({"note": [_("Give a reason.")]})
    if required_fields(t):  # a set-based step has no step form to fill them in
        f = required_fields(t)[0]
        raise RuleViolation({f.field: [_("%(field)s: fill this in.", field=field_label(f))]})
    if not actor.has_any(set(t.roles)) and not holds_role(model(created_by=actor.id), t, actor):
        raise RuleViolation(
            _(
                'The step "%(step)s" is for %(roles)s.',
                step=label(key, t.to, _locale()),
                roles=roles_text(t.roles),
            )
        )
    return t


def bulk_take(model: Any, where: Any, action: str, note: str = "", to: str | None = None) -> int:
    """Take `action` on every row matching `where` that may take it now, set-based (rows at
    another state, outside the actor's scope or self-approved are left alone; the caller
    reports them with `refusal`). Returns the number of rows moved."""
    from models.db import db
    from models.workflow import Transition
    from rules.bulk import audited_update
    from rules.workflow_notify import notify_next

    actor = current_actor()
    key = model.model_key()
    wf = flow(key)
    t = checked_step(model, action, note, to, actor, set_based=True)
    now = utcnow()
    eligible = _eligible(model, where, t, actor, now)
    status = getattr(model, wf.field)
    columns = ["model", "record_id", "from_state", "to_state", "by_id", "by_name", "at", "note"]
    with db.atomic():
        log = model.select(
            Value(key), model.id, status, Value(t.to), Value(actor.id), Value(actor.username),
            Value(now), Value(note or ""),
        ).where(eligible)  # fmt: skip
        Transition.insert_from(log, [getattr(Transition, c) for c in columns]).execute()
        moved = audited_update(model, eligible, {status: t.to}, actor)
        notify_next(key, t.to, actor, t.action, moved)  # one message per person per batch
        return moved
