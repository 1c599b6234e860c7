"""What a record page shows of its workflow (issue 8 item 7): the steps this person may take
now, what the record waits for and on whom, and its history as a timeline. All computed by the
engine (role, state, self-approval), never guessed by a view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules import Actor
from rules.i18n import gettext as _
from rules.i18n import locale
from rules.workflow import flow, label, refusal, roles_text
from rules.workflow_config import CREATOR, WorkflowTransition


def step_label(table: str, t: WorkflowTransition) -> str:
    """A transition's words in the current language (default: the state it leads to)."""
    if t.label is not None:
        return t.label.zh_CN if locale.get().startswith("zh") else t.label.en
    return label(table, t.to, locale.get())


def takeable(record: Any, actor: Actor) -> list[WorkflowTransition]:
    """The transitions `actor` may take on `record` now, in declared order."""
    wf = flow(record.model_key())
    out = wf.leaving(getattr(record, wf.field))
    return [t for t in out if refusal(record, t, t.action, actor) is None]


@dataclass(frozen=True)
class Waiting:
    step: str  # the transition's words
    roles: str  # its roles in a sentence
    people: list[str]  # the active people holding them (and the creator, when named)


def waiting_on(record: Any) -> list[Waiting]:
    """The next step of the main path (the first transition out of the record's state): its
    roles and the people holding them (empty at a final state)."""
    from models.staff import Staff

    table = record.model_key()
    wf = flow(table)
    rows = []
    for t in wf.leaving(getattr(record, wf.field))[:1]:
        people = {
            s.id: str(s) for role in t.roles if role != CREATOR for s in Staff.with_role(role)
        }
        creator = getattr(record, "created_by_id", None)
        if CREATOR in t.roles and creator is not None:
            people.setdefault(creator, str(Staff.get_by_id(creator)))
        rows.append(Waiting(step_label(table, t), roles_text(t.roles), sorted(people.values())))
    return rows


@dataclass(frozen=True)
class Moment:
    at: Any
    who: str
    action: str
    from_state: str
    to_state: str
    note: str


def timeline(record: Any) -> list[Moment]:
    """The record's transitions, oldest first: who (display name), when, which step, note."""
    from models.staff import Staff
    from models.workflow import Transition

    table = record.model_key()
    wf = flow(table)
    steps = Transition.history(table, record.id)
    ids = {s.by_id for s in steps if s.by_id is not None}
    names = {p.id: str(p) for p in Staff.select().where(Staff.id.in_(list(ids)))} if ids else {}
    here = locale.get()
    out = []
    for s in steps:
        t = next((x for x in wf.leaving(s.from_state) if x.to == s.to_state), None)
        out.append(
            Moment(
                at=s.at,
                who=names.get(s.by_id) or (_("System") if s.by_name == "system" else s.by_name),
                action=step_label(table, t) if t else label(table, s.to_state, here),
                from_state=label(table, s.from_state, here),
                to_state=label(table, s.to_state, here),
                note=s.note,
            )
        )
    return out
