"""The home page's "Recent activity": audit and workflow-step rows told as sentences ("李娜
submitted SO-20261202-0008"), with display names, step labels, each record's own name and the
local time; only records the reader may see now, and only their own doings unless their roles
see every row ([scope] see_all)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin_views.history import actor_label
from admin_views.i18n_extra import key_text
from models import MODELS
from models.audit import AuditLog
from models.workflow import Transition
from rules import Actor, settings
from rules.permissions import may
from rules.scope import visible
from rules.workflow import flow, workflow
from rules.workflow_next import step_label

LOOK_BACK = 60  # newest rows of each log read before scoping: enough for a page of ten

# The engine's common verbs read as sentences; any other step: "… took the step “X” on …".
VERBS = {
    "submit": _l("%(who)s submitted %(record)s"),
    "verify": _l("%(who)s verified %(record)s"),
    "confirm_payment": _l("%(who)s confirmed the payment of %(record)s"),
    "ship": _l("%(who)s shipped %(record)s"),
    "reject": _l("%(who)s sent %(record)s back to %(state)s"),
    "cancel": _l("%(who)s cancelled %(record)s"),
}
CHANGES = {
    "create": _l("%(who)s added %(table)s %(record)s"),
    "update": _l("%(who)s changed %(table)s %(record)s"),
    "delete": _l("%(who)s deleted %(table)s %(record)s"),
}


def _label(record: Any, customers: dict[int, str]) -> str:
    """A record's own name: its number, else its name (a customer's without the phone
    number, which some readers may not see whole), else its customer's, else its text."""
    for name in ("number", "name"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value
    return customers.get(getattr(record, "customer_id", None)) or str(record)


def _visible_names(
    actor: Actor, wanted: dict[str, set], grids: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """{table: {record id: name}} of the wanted records the reader may see now, in the
    tables they have a grid for (not order lines or inbox messages, told by their record)."""
    out: dict[str, dict[str, str]] = {}
    for table, ids in wanted.items():
        model = MODELS.get(table)
        if model is None or table not in grids or not ids or not may(actor, table, "view"):
            continue
        pk = model._meta.primary_key
        keys = [int(i) for i in ids if str(i).isdigit()]
        rows = list(visible(model.select().where(pk.in_(keys)), model, actor))
        customers = _customer_names({getattr(r, "customer_id", None) for r in rows})
        out[table] = {str(r.get_id()): _label(r, customers) for r in rows}
    return out


def _customer_names(ids: set) -> dict[int, str]:
    """{customer id: name} of the customers a follow-up, task or case belongs to."""
    from models import Customer

    ids = {i for i in ids if i is not None}
    rows = Customer.select(Customer.id, Customer.name).where(Customer.id.in_(list(ids)))
    return {r.id: r.name for r in rows} if ids else {}


def _display_names(ids: set) -> dict[int, str]:
    """{staff id: display name} (the log keeps the login name as it was)."""
    from models import Staff

    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = Staff.select(Staff.id, Staff.display_name).where(Staff.id.in_(list(ids)))
    return {r.id: r.display_name for r in rows}


def _step_sentence(t: Transition, who: str, record: str) -> str:
    wf = flow(t.model)
    step = next((s for s in wf.transitions if t.from_state in s.from_ and s.to == t.to_state), None)
    from admin_views import state_label

    state = state_label(t.to_state, t.model)
    if step is not None and step.action in VERBS:
        return VERBS[step.action] % {"who": who, "record": record, "state": state}
    words = step_label(t.model, step) if step is not None else state
    return _("%(who)s took the step “%(step)s” on %(record)s", who=who, step=words, record=record)


def recent(actor: Actor, grids: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """The newest `limit` things done that the reader may see: [{at, text, url}]. `grids`:
    {table: the grid the reader may open}; a record links to its details page there."""
    everyone = actor.has_any(set(settings().scope.see_all))
    audits = AuditLog.select().order_by(AuditLog.at.desc(), AuditLog.id.desc())
    steps = Transition.select().order_by(Transition.at.desc(), Transition.id.desc())
    if not everyone:
        audits = audits.where(AuditLog.actor_id == actor.id)
        steps = steps.where(Transition.by_id == actor.id)
    audits, steps = list(audits.limit(LOOK_BACK)), list(steps.limit(LOOK_BACK))
    wanted: dict[str, set] = {}
    for a in audits:
        wanted.setdefault(a.model, set()).add(a.record_id)
    for t in steps:
        wanted.setdefault(t.model, set()).add(str(t.record_id))
    names = _visible_names(actor, wanted, grids)
    people = _display_names({a.actor_id for a in audits} | {t.by_id for t in steps})
    items: list[tuple[datetime, str, str, str]] = []
    for t in steps:
        record = names.get(t.model, {}).get(str(t.record_id))
        if record is not None:
            who = people.get(t.by_id) or (_("System") if t.by_name == "system" else t.by_name)
            items.append((t.at, _step_sentence(t, who, record), t.model, str(t.record_id)))
    for a in audits:
        record = names.get(a.model, {}).get(a.record_id)
        if record is None and a.action == "delete" and a.actor_id == actor.id:
            record = f"#{a.record_id}"  # their own deletion: the row is gone
        if record is None or _is_step(a):
            continue
        text = CHANGES[a.action] % {
            "who": people.get(a.actor_id) or actor_label(a),
            "table": key_text(a.model),
            "record": record,
        }
        items.append((a.at, text, a.model, a.record_id))
    items.sort(key=lambda i: i[0], reverse=True)
    return [
        {"at": at, "text": text, "url": _details_url(grids.get(table), rid)}
        for at, text, table, rid in items[:limit]
    ]


def _details_url(view: Any, rid: str) -> str | None:
    if view is None or not view.can_view_details or not rid.isdigit():
        return None
    return url_for(f"{view.endpoint}.details_view", id=rid)


def _is_step(entry: AuditLog) -> bool:
    """An update that moved a workflow record to another step: its step row tells it (what
    else changed with it is the step's own doing)."""
    wf = workflow(entry.model) if entry.action == "update" else None
    return wf is not None and wf.field in entry.change_dict
