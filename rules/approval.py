"""The save check of every workflow, and the sales verbs by their old names (B2; D, E, F).

`enforce` compares the stored state with the new one: a state change that did not come through
`rules.workflow.take` (a form, an inline edit, an import, a crafted POST) is refused, and so is
one whose transition does not start at the stored state, is not the actor's role, or is a
self-approval the transition forbids. A record outside an `editable` state is not edited
(only the engine and SYSTEM effects write to it).
"""

from __future__ import annotations

from typing import Any

from rules import Actor
from rules.i18n import gettext as _
from rules.step_forms import problems
from rules.step_lines import problems as line_problems
from rules.workflow import find, flow, moving, moving_by, refusal, state_text, take, workflow
from rules.workflow_bulk import bulk_take


def check_transition(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Refuse any state change that is not a transition taken through the engine."""
    key = record.model_key()
    wf = workflow(key)
    if wf is None or action == "delete":
        return None
    state = getattr(record, wf.field)
    if action == "create":
        if state != wf.initial():
            return {wf.field: [_("A new record starts as a draft.")]}
        _remember_creator(record, actor)
        return None
    t = moving_by(record)
    if old[wf.field] == state:
        if t is None and not wf.has(state, "editable") and not actor.is_system:
            return {"__all__": [_("Only a draft can be edited; reject it to draft first.")]}
        return None
    if t is None or isinstance(t, str):
        return {wf.field: [_("Use the approval actions to change the status.")]}
    if old[wf.field] not in t.from_ or state != t.to:
        return {wf.field: [_("Use the approval actions to change the status.")]}
    why = refusal(record, t, t.action, actor)
    if why:
        return {"__all__": [why]}
    # the step form's fields, the record's and its lines', on every path
    return {**problems(record, t), **line_problems(record, t)} or None


def _remember_creator(record: Any, actor: Actor) -> None:
    """Whoever enters a workflow record is its `creator` (a role of transitions) and may not
    approve it where self-approval is off: the engine fills `created_by`, not each process."""
    if hasattr(record, "created_by_id") and record.created_by_id is None and actor.id:
        record.created_by = actor.id


CHECKS = [check_transition]


def steps(model_key: str) -> list[Any]:
    """The main path of a table's workflow (empty when it has none)."""
    wf = workflow(model_key)
    return wf.chain() if wf else []


def approve(record: Any, note: str = "", values: dict[str, Any] | None = None) -> str:
    """Take the next step of the main path from the record's state (with its step form)."""
    wf = flow(record.model_key())
    state = getattr(record, wf.field)
    nxt = next((t for t in steps(record.model_key()) if state in t.from_), None)
    if nxt is None:
        from rules import RuleViolation

        raise RuleViolation(
            _(
                "%(record)s is %(state)s: there is no next step.",
                record=str(record),
                state=state_text(record.model_key(), state),
            )
        )
    return take(record, nxt.action, note, values)


def reject(record: Any, reason: str) -> None:
    take(record, "reject", reason)


def cancel(record: Any, reason: str) -> None:
    take(record, "cancel", reason)


def bulk_approve(model: Any, where: Any, to_state: str, note: str = "") -> int:
    """Move matching rows along the main-path step that ends at `to_state`, set-based."""
    t = next((x for x in steps(model.model_key()) if x.to == to_state), None)
    if t is None:
        from rules import RuleViolation

        raise RuleViolation(_('No approval step "%(step)s".', step=to_state))
    return bulk_take(model, where, t.action, note, to=to_state)


__all__ = ["approve", "bulk_approve", "cancel", "check_transition", "find", "moving", "reject"]
