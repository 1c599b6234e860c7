"""The workflow engine (B2; D, E, F): one interpreter for every `[workflows.<table>]`.

A workflow is data (states with marks, transitions with roles and effects). Code tests a
state's marks, never its name. Effects are registered by name in a process module:

    @effect("sales_order", "earn_points", while_marked="money_received",
            reversed_by="reverse_points")
    def earn_points(order, step): ...

Convention: every module of the package `rules/effects/` is imported at start-up (one module
per process; helpers live elsewhere in `rules/`). Test-only processes are passed to
`create_app(processes=...)` and are active only there. `take()` is the one verb; the save
check in `rules.approval` refuses any state change that does not come through it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from models.audit import utcnow
from rules import Actor, RuleViolation, current_actor, effect_of, settings
from rules.i18n import gettext as _
from rules.workflow_config import CREATOR, Workflow, WorkflowTransition

EFFECTS_PACKAGE = "rules.effects"
#: Marks the engine itself relies on, in every workflow.
ENGINE_MARKS = frozenset({"initial", "editable", "final"})
_FLAG = "_transition"


@dataclass(frozen=True)
class Step:
    """What an effect is told: who takes which transition, from where, with which note."""

    person: Actor
    transition: WorkflowTransition
    from_state: str
    note: str


@dataclass(frozen=True)
class Effect:
    table: str
    name: str
    fn: Callable[[Any, Step], None]
    module: str
    while_marked: str | None = None  # what it did holds while the record carries this mark
    reversed_by: str | None = None  # the effect that undoes it (new ledger lines, never edits)


_effects: dict[tuple[str, str], Effect] = {}
_relied: dict[str, dict[str, str]] = {}  # table -> mark -> module that relies on it


def effect(
    table: str, name: str, *, while_marked: str | None = None, reversed_by: str | None = None
):
    """Decorator: register `fn(record, step)` as the effect `name` of `table`'s workflow."""

    def deco(fn: Callable[[Any, Step], None]) -> Callable[[Any, Step], None]:
        _effects[(table, name)] = Effect(table, name, fn, fn.__module__, while_marked, reversed_by)
        return fn

    return deco


def relies_on(table: str, module: str, *marks: str) -> None:
    """Declare that code in `module` tests these marks of `table`'s states (checked at start)."""
    for mark in marks:
        _relied.setdefault(table, {})[mark] = module


def discover(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Import every process module (rules/effects/*, plus test-only `extra`); return the set of
    modules whose effects and marks are active."""
    package = importlib.import_module(EFFECTS_PACKAGE)
    names = [f"{EFFECTS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    for name in [*names, *extra]:
        importlib.import_module(name)
    return frozenset([*names, *extra])


def effects_of(table: str, active: frozenset[str]) -> dict[str, Effect]:
    return {e.name: e for (t, _n), e in _effects.items() if t == table and e.module in active}


def relied_marks(table: str, active: frozenset[str]) -> dict[str, str]:
    return {m: mod for m, mod in _relied.get(table, {}).items() if mod in active}


def tables_with_effects(active: frozenset[str]) -> set[str]:
    return {t for (t, _n), e in _effects.items() if e.module in active} | {
        t for t, marks in _relied.items() if set(marks.values()) & active
    }


# -- reading the workflow ----------------------------------------------------------------------


def workflow(table: str) -> Workflow | None:
    return settings().workflows.get(table)


def flow(table: str) -> Workflow:
    found = workflow(table)
    if found is None:
        raise RuntimeError(f"no [workflows.{table}] (start-up checks should have refused it)")
    return found


def has_mark(table: str, state: str, mark: str) -> bool:
    return flow(table).has(state, mark)


def marked(table: str, mark: str) -> list[str]:
    return flow(table).marked(mark)


def label(table: str, state: str, locale: str) -> str:
    found = flow(table).state(state)
    if found is None:
        return state
    return found.label.zh_CN if locale.startswith("zh") else found.label.en


def state_text(table: str, state: str) -> str:
    """A state inside a sentence, in the current language ("is paid", "已收款")."""
    text = label(table, state, _locale())
    return text.lower() if text.isascii() else text


def find(table: str, state: str, action: str) -> WorkflowTransition | None:
    return next((t for t in flow(table).leaving(state) if t.action == action), None)


# -- who may take a transition -----------------------------------------------------------------


def holds_role(record: Any, t: WorkflowTransition, actor: Actor) -> bool:
    creator = CREATOR in t.roles and getattr(record, "created_by_id", None) == actor.id
    return creator or actor.has_any(set(t.roles) - {CREATOR})


def _took_a_step(record: Any, actor: Actor) -> bool:
    """The actor entered the record or took one of its steps in this round (since it last went
    back to the initial state: after a rejection everyone starts anew)."""
    from rules.workflow_bulk import moved_by

    if getattr(record, "created_by_id", None) == actor.id:
        return True
    from models.workflow import Transition

    key = record.model_key()
    return moved_by(actor.id, key, Transition.record_id == record.id).exists()


def refusal(record: Any, t: WorkflowTransition | None, action: str, actor: Actor) -> str | None:
    """Why `actor` may not take `action` on `record` now (None: they may)."""
    table, state = record.model_key(), getattr(record, flow(record.model_key()).field)
    if t is None:
        to = next((x.to for x in flow(table).transitions if x.action == action), None)
        return _(
            "%(record)s is %(state)s: it cannot go to %(to)s from there.",
            record=str(record),
            state=state_text(table, state),
            to=state_text(table, to) if to else action,
        )
    if not holds_role(record, t, actor):
        return _(
            '%(record)s: the step "%(step)s" is for %(roles)s.',
            record=str(record),
            step=label(table, t.to, _locale()),
            roles=roles_text(t.roles),
        )
    if not t.self_approval and not actor.is_system and _took_a_step(record, actor):
        return _(
            "%(record)s: you entered it or took an earlier step, so someone else must approve "
            "this one.",
            record=str(record),
        )
    return None


def roles_text(roles: list[str]) -> str:
    """Roles in a sentence, by their configured labels in the current language."""
    zh = _locale().startswith("zh")
    names = []
    for role in roles:
        found = settings().roles.get(role)
        if role == CREATOR or found is None:
            names.append(_("its creator") if role == CREATOR else role)
        else:
            names.append(found.zh_CN if zh else found.en)
    return "、".join(names) if zh else ", ".join(names)


def _locale() -> str:
    from rules.i18n import locale

    return locale.get()


# -- taking a transition -----------------------------------------------------------------------


@contextmanager
def moving(record: Any, t: WorkflowTransition | str | None):
    """Mark a save as made by the engine (a transition, or an amendment by a verb)."""
    setattr(record, _FLAG, t)
    try:
        yield
    finally:
        setattr(record, _FLAG, None)


def moving_by(record: Any) -> WorkflowTransition | str | None:
    return getattr(record, _FLAG, None)


def take(record: Any, action: str, note: str = "", values: dict[str, Any] | None = None) -> str:
    """Take `action` on `record` as the acting person, with the step form's `values`: check it,
    run its effects as SYSTEM on their behalf, save the new state and log the transition, in
    one transaction. Raises RuleViolation with the reason (a field's, keyed by the field)."""
    from models.db import db
    from models.workflow import Transition
    from rules.step_forms import fill
    from rules.step_lines import LINES, fill_lines, save_lines
    from rules.workflow_notify import notify_next

    actor = current_actor()
    table = record.model_key()
    wf = flow(table)
    from_state = getattr(record, wf.field)
    t = find(table, from_state, action)
    why = refusal(record, t, action, actor)
    if why:
        raise RuleViolation(why)
    if t.reason_required and not (note or "").strip():
        raise RuleViolation({"note": [_("Give a reason.")]})
    fill(record, t, values or {})  # checked by the save check, after the effects' own refusals
    lines = fill_lines(record, t, (values or {}).get(LINES) or {})
    step = Step(actor, t, from_state, note or "")
    with db.atomic(), moving(record, t):
        with effect_of(record, t.action):
            save_lines(record, lines)  # the step's per-line fields, before effects that read them
            for name in t.effects:
                _effects[(table, name)].fn(record, step)
        setattr(record, wf.field, t.to)
        record.save()  # as the person: permission, order, role and self-approval again
        Transition.create(
            model=table,
            record_id=record.id,
            from_state=from_state,
            to_state=t.to,
            by_id=actor.id,
            by_name=actor.username,
            at=utcnow(),
            note=note or "",
        )
        notify_next(table, t.to, actor, t.action, 1, record)
    return t.to
