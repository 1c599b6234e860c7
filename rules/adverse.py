"""Adverse reactions (C1): a follow-up that records 不良反应 = yes opens a case and tells every
sales supervisor in their inbox; the owner role or a supervisor closes it with a note.

The case is opened from FollowUp.after_write, so every way a follow-up is written (the form,
an edit, save() from an import, job or command) opens it; nobody creates a case by hand.
"""

from __future__ import annotations

from typing import Any

from models.audit import utcnow
from rules import SYSTEM, Actor, RuleViolation, acting_as, current_actor, i18n, register, settings
from rules.i18n import gettext as _
from rules.scope import scope

SUPERVISOR = "sales_supervisor"
FIXED = ("customer", "follow_up", "details", "opened_at")


@scope("adverse_case", "salesperson")
def own_cases(model: type, actor: Actor) -> Any:
    """A salesperson sees the cases of customers they own, and those they reported."""
    from models.customers import Customer
    from models.followups import FollowUp

    owned = Customer.select(Customer.id).where(Customer.owner == actor.id)
    reported = FollowUp.select(FollowUp.id).where(FollowUp.staff == actor.id)
    return model.customer.in_(owned) | model.follow_up.in_(reported)


@scope("adverse_case", "store_staff")
def store_cases(model: type, actor: Actor) -> Any:
    """Store staff see their store's customers' cases."""
    from models.customers import Customer

    return model.customer.in_(Customer.select(Customer.id).where(Customer.store == actor.store_id))


@register("adverse_case")
def check_case(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A case comes from an adverse follow-up; afterwards only closing it changes it, once,
    and closing needs a note."""
    if action == "create":
        return _check_source(record)
    if action == "delete":
        return None
    if old["closed_at"] is not None:
        return {"__all__": [_("This case is closed and can no longer change.")]}
    for name in FIXED:
        if old[name] != record.__data__.get(name):
            return {name: [_("Only closing changes a case.")]}
    if record.closed_at is None:
        return None
    if not (record.closing_note or "").strip():
        return {"closing_note": [_("Write what was done before closing the case.")]}
    record.closed_by = actor.id  # whoever closes it, whatever was sent
    return None


def _check_source(record: Any) -> dict | None:
    from models.followups import FollowUp

    followup = FollowUp.get_or_none(FollowUp.id == record.follow_up_id)
    if followup is None or not followup.adverse_reaction:
        return {"follow_up": [_("A case is opened from a follow-up that reports a reaction.")]}
    record.customer = followup.customer_id
    return None


def open_case(followup: Any) -> Any | None:
    """Open the case for an adverse follow-up (once) and notify the sales supervisors."""
    from models.adverse import AdverseCase

    if not followup.adverse_reaction:
        return None
    if AdverseCase.select().where(AdverseCase.follow_up == followup.id).exists():
        return None
    reporter = current_actor()
    with acting_as(SYSTEM):  # opened by the rules on the reporter's behalf, whatever their role
        case = AdverseCase(
            follow_up=followup.id,
            customer=followup.customer_id,
            details=followup.adverse_details or "",
            opened_at=followup.at or utcnow(),
        )
        case.save()
        _notify_supervisors(case, followup, reporter)
    return case


def _notify_supervisors(case: Any, followup: Any, reporter: Actor) -> None:
    from models.customers import Customer
    from models.staff import Staff
    from rules.notifications import send

    customer = Customer.get_by_id(followup.customer_id)
    author = Staff.get_or_none(Staff.id == reporter.id)
    who = author.display_name if author else reporter.username
    messages = []
    for person in Staff.with_role(SUPERVISOR):
        with i18n.speaking(person.locale or settings().app.default_locale):
            messages.append(
                {
                    "recipient": person.id,
                    "key": f"adverse:{case.id}:{person.id}",
                    "title": _("Adverse reaction reported: %(name)s", name=customer.name),
                    "body": _("%(who)s: %(details)s", who=who, details=case.details)[:2000],
                    "link": f"/admin/adverse_case/details/?id={case.id}",
                }
            )
    send(messages)


def close_case(case: Any, note: str) -> None:
    """Close `case` with a note (required) as the acting person; raise RuleViolation if not."""
    actor = current_actor()
    case.closing_note = (note or "").strip()
    case.closed_at = utcnow()
    case.closed_by = actor.id
    try:
        case.save()
    except RuleViolation:
        case.closed_at = case.closed_by = None
        raise
