"""Follow-up service rules (C1, C2): who may log a follow-up, what logging one does, and the
set-based task generation the daily job runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from peewee import SQL, Case, Value, fn

from models.audit import utcnow
from models.db import db
from rules import Actor, current_actor, effect_of, register, settings
from rules.bulk import audit_created, audited_update
from rules.i18n import gettext as _
from rules.scope import any_of, scope

# Base priority per reason; each day overdue adds one, so carried-over tasks rank first.
REASON_PRIORITY = {"next_date": 30, "ending_soon": 40, "interval": 20, "incomplete": 10}


def _customer_ids(where: Any) -> Any:
    from models.customers import Customer

    return Customer.select(Customer.id).where(where)


@scope("follow_up", "salesperson")
@scope("follow_up_task", "salesperson")
def own_customers_rows(model: type, actor: Actor) -> Any:
    """A salesperson sees follow-ups and tasks of the customers they own or are assigned."""
    from models.customers import Customer

    person = model.assignee if model.model_key() == "follow_up_task" else model.staff
    mine = model.customer.in_(_customer_ids(Customer.owner == actor.id))
    return any_of(model, mine, person == actor.id)


@scope("follow_up", "store_staff")
@scope("follow_up_task", "store_staff")
def store_rows(model: type, actor: Actor) -> Any:
    """Store staff share their store's follow-ups and tasks."""
    from models.customers import Customer

    return model.customer.in_(_customer_ids(Customer.store == actor.store_id))


@register("follow_up")
def check_author(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Only the customer's owner, or that store's staff, may log a follow-up (C1)."""
    if action != "create" or actor.is_system or record.customer_id is None:
        return None
    from models.customers import Customer

    customer = Customer.get_or_none(Customer.id == record.customer_id)
    if customer is None:
        return {"customer": [_("No such customer.")]}
    record.staff = actor.id
    if customer.owner_id == actor.id:
        return None
    if customer.store_id is not None and customer.store_id == actor.store_id:
        return None
    return {
        "customer": [_("Only the customer's owner (or that store's staff) may log a follow-up.")]
    }


@register("follow_up_task")
def check_assignee(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A task goes only to someone who may log its follow-up (C1): the customer's owner, or
    for a store customer a colleague in that store (a reassignment, issue 10 item 3)."""
    if action == "delete" or actor.is_system or record.assignee_id is None:
        return None
    if old is not None and old["assignee"] == record.assignee_id:
        return None
    from models.customers import Customer
    from models.staff import Staff

    customer = Customer.get_or_none(Customer.id == record.customer_id)
    person = Staff.get_or_none(Staff.id == record.assignee_id)
    if customer is None or person is None:
        return {"assignee": [_("No such person.")]}
    if person.id == customer.owner_id or (
        customer.store_id is not None
        and person.store_id == customer.store_id
        and "store_staff" in person.role_set
    ):
        return None
    return {
        "assignee": [
            _(
                "%(name)s may not follow up this customer: choose the owner or a colleague "
                "in the customer's store.",
                name=str(person),
            )
        ]
    }


@register("follow_up")
def check_survey(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Counts are positive, a reaction needs details, the next date is not in the past."""
    if action == "delete":
        return None
    errors: dict[str, list[str]] = {}
    if record.users_count is not None and record.users_count < 1:
        errors["users_count"] = [_("At least one person uses the product.")]
    if record.adverse_reaction and not (record.adverse_details or "").strip():
        errors["adverse_details"] = [_("Describe the adverse reaction.")]
    when = (record.at or utcnow()).date()
    if record.next_followup_on is not None and record.next_followup_on < when:
        errors["next_followup_on"] = [_("The next follow-up date cannot be in the past.")]
    return errors or None


def followup_logged(followup: Any) -> None:
    """Restart the customer's reclaim clock and close their open tasks (A4, C2).

    An effect of logging the follow-up: written as SYSTEM on the person's behalf, so
    `permissions.customer.edit` does not decide who may log follow-ups (issue 8)."""
    from models.customers import Customer
    from models.followups import FollowUpTask

    with effect_of(followup, "log") as system:
        customer = Customer.get_by_id(followup.customer_id)
        customer.last_followup_at = followup.at
        if customer.owner_id is not None:
            customer.clock_start = max(customer.owner_since or followup.at, followup.at)
            customer.warned_clock = None
        customer.next_followup_on = followup.next_followup_on
        customer.estimated_end_on = followup.estimated_end_on
        customer.save()
        open_tasks = (FollowUpTask.customer == customer.id) & (FollowUpTask.status == "open")
        done = {FollowUpTask.status: "done", FollowUpTask.done_at: utcnow()}
        audited_update(FollowUpTask, open_tasks, done, system)


def priority_expr(model: Any, today: date) -> Any:
    """SQL: the task's base priority plus one per day overdue (C2)."""
    from rules.bulk import days_since

    overdue = days_since(model.due_on, datetime.combine(today, datetime.min.time()))
    return model.priority + Case(None, [(overdue > 0, fn.ROUND(overdue - 0.5))], 0)


def _due_rules(today: date) -> list[tuple[str, Any, Any]]:
    """(reason, which customers, due date SQL) in the order tasks are created."""
    from models.customers import Customer

    cfg = settings().customers
    ending = today + timedelta(days=cfg.ending_soon_days)
    last = fn.COALESCE(Customer.last_followup_at, Customer.owner_since)
    stale = datetime.combine(
        today - timedelta(days=cfg.followup_interval_days), datetime.max.time()
    )
    return [
        ("ending_soon", Customer.estimated_end_on <= ending, Customer.estimated_end_on),
        ("next_date", Customer.next_followup_on <= today, Customer.next_followup_on),
        ("interval", last <= stale, Value(today)),
        ("incomplete", Customer.incomplete == True, Value(today)),  # noqa: E712
    ]


def generate_tasks(today: date) -> dict[str, int]:
    """Create at most one open task per owned customer, most urgent reason first."""
    from models.customers import Customer
    from models.followups import FollowUpTask as Task

    actor, now = current_actor(), utcnow()
    has_open = Task.select(SQL("1")).where((Task.customer == Customer.id) & (Task.status == "open"))
    made: dict[str, int] = {}
    with db.atomic():
        for reason, when, due in _due_rules(today):
            rows = Customer.select(
                Customer.id,
                Customer.owner,
                Value(reason),
                due,
                Value(REASON_PRIORITY[reason]),
                Value("open"),
                Value(now),
                Value(now),
                Value(1),
            ).where(Customer.owner.is_null(False) & when & ~fn.EXISTS(has_open))
            made[reason] = (
                Task.insert_from(
                    rows,
                    [
                        Task.customer,
                        Task.assignee,
                        Task.reason,
                        Task.due_on,
                        Task.priority,
                        Task.status,
                        Task.created_at,
                        Task.updated_at,
                        Task.version,
                    ],
                ).execute()
                or 0
            )
        audit_created(Task, Task.created_at == now, actor, now)
        made = {
            r: Task.select().where((Task.created_at == now) & (Task.reason == r)).count()
            for r in made
        }
    return made
