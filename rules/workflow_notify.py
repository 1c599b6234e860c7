"""Notify who acts next (issue 8, item 6): entering a state tells the people holding the role of
the next step of the main path, in their inbox, with a link. A bulk step sends one message per
person per batch, not one per record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from rules import SYSTEM, Actor, acting_as, i18n, settings
from rules.i18n import gettext as _
from rules.workflow import flow, label
from rules.workflow_config import CREATOR

_batch: ContextVar[dict | None] = ContextVar("notify_batch", default=None)


@contextmanager
def one_message_per_batch(person: Actor) -> Iterator[None]:
    """Inside the block, steps taken one record at a time are counted, not announced; at the
    end each person who acts next gets one message for the whole batch."""
    token = _batch.set({})
    try:
        yield
        pending = _batch.get() or {}
    finally:
        _batch.reset(token)
    for (table, state, action), count in pending.items():
        notify_next(table, state, person, action, count)


def next_roles(table: str, state: str) -> frozenset[str]:
    """The roles owning the first transition out of `state` (empty at a final state)."""
    out = flow(table).leaving(state)
    return frozenset(out[0].roles) - {CREATOR} if out else frozenset()


def notify_next(
    table: str, state: str, person: Actor, action: str, count: int, record: Any = None
) -> int:
    """One message per person who may take the next step, for the `count` records that entered
    `state` (`record` when it is one). Written as SYSTEM on `person`'s behalf. Returns the
    number of messages."""
    from models.staff import Staff
    from rules.notifications import send

    roles = next_roles(table, state)
    if not roles or not count:
        return 0
    pending = _batch.get()
    if pending is not None:
        pending[(table, state, action)] = pending.get((table, state, action), 0) + count
        return 0
    ids = {s.id for role in sorted(roles) for s in Staff.with_role(role)} - {person.id}
    messages = []
    for staff in Staff.select().where(Staff.id.in_(ids)).order_by(Staff.id):
        with i18n.speaking(staff.locale or settings().app.default_locale):
            messages.append({"recipient": staff.id, **_message(table, state, count, record)})
    via = f"{table}/{action}/{record if record is not None else count}"[:120]
    with acting_as(replace(SYSTEM, on_behalf_of=person.username, via=via)):
        return send(messages)


def _message(table: str, state: str, count: int, record: Any) -> dict[str, str]:
    step = label(table, state, i18n.locale.get())
    if record is not None:
        return {
            "title": _("%(record)s is waiting for you: %(state)s", record=str(record), state=step),
            "link": f"/admin/{table}/details/?id={record.id}",
        }
    return {
        "title": _("%(count)d records are waiting for you: %(state)s", count=count, state=step),
        "link": f"/admin/{table}/",
    }
