"""Who holds a customer (A4, A5): claim from the pool, assign and transfer, the reclaim clock.

The owner of a customer changes only through these verbs; a form, inline edit or import that
sets `owner` directly is refused by `check_owner_change`.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from peewee import Case, Value, fn

from models.audit import utcnow
from rules import Actor, RuleViolation, current_actor, register, settings
from rules.bulk import days_since
from rules.i18n import gettext as _

_VERB_FLAG = "_ownership_verb"


@contextmanager
def _verb(customer: Any):
    setattr(customer, _VERB_FLAG, True)
    try:
        yield
    finally:
        setattr(customer, _VERB_FLAG, False)


@register("customer")
def check_owner_change(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """A new customer belongs to whoever enters it; later changes need claim/assign/transfer."""
    if action == "delete" or getattr(record, _VERB_FLAG, False) or actor.is_system:
        return None
    if action == "create":
        if record.owner_id not in (None, actor.id) and "owner" not in actor.roles:
            return {"owner": [_("A new customer belongs to the person who enters it.")]}
        if record.owner_id is not None and record.clock_start is None:
            record.owner_since = record.clock_start = utcnow()
        return None
    if old["owner"] != record.owner_id or old["store"] != record.store_id:
        return {"owner": [_("Use Claim, Assign or Transfer to change who holds a customer.")]}
    return None


def reclaim_limit_expr(model: Any) -> Any:
    """SQL: the reclaim limit in days for each row, by its level (config)."""
    cfg = settings().customers
    if not cfg.level_reclaim_days:
        return Value(cfg.reclaim_after_days)
    return Case(
        model.level, [(lvl, d) for lvl, d in cfg.level_reclaim_days.items()], cfg.reclaim_after_days
    )


def days_left_expr(model: Any, now: datetime) -> Any:
    """SQL: days until the customer returns to the pool (NULL for pool customers)."""
    return reclaim_limit_expr(model) - days_since(model.clock_start, now)


def exempt_expr(model: Any, now: datetime) -> Any:
    """SQL: customers who bought recently enough to keep their owner (config knob)."""
    days = settings().customers.exempt_recent_deal_days
    if not days:
        return Value(1) == Value(0)
    # IS NOT NULL first: NOT (NULL >= x) is NULL, which would hide never-bought customers
    return model.last_deal_at.is_null(False) & (model.last_deal_at >= now - timedelta(days=days))


def due_for_reclaim(model: Any, now: datetime, within_days: int = 0) -> Any:
    """SQL: owned, not exempt, and the clock has run out (or will within `within_days`)."""
    cfg = settings().customers
    levels = {**{lvl: cfg.reclaim_days(lvl) for lvl in model.LEVELS}}
    clauses = [
        (model.level == lvl) & (model.clock_start <= now - timedelta(days=d - within_days))
        for lvl, d in levels.items()
    ]
    overdue = clauses[0]
    for clause in clauses[1:]:
        overdue = overdue | clause
    return model.owner.is_null(False) & overdue & ~exempt_expr(model, now)


def _record(customer: Any, old_owner: Any, reason: str, actor: Actor) -> None:
    from models.customers import OwnershipChange

    OwnershipChange.create(
        customer=customer.id,
        from_owner=old_owner,
        to_owner=customer.owner_id,
        store=customer.store_id,
        reason=reason,
        by_name=actor.username,
    )


def _owned_count(owner_id: int) -> int:
    from models.customers import Customer

    return Customer.select().where(Customer.owner == owner_id).count()


def _hand_over(customer: Any, new_owner: Any, reason: str, actor: Actor) -> None:
    """Give `customer` to `new_owner` (a Staff), starting a fresh reclaim clock."""
    limit = settings().customers.max_customers_per_owner
    if _owned_count(new_owner.id) >= limit:
        raise RuleViolation(
            _(
                "%(name)s already holds %(limit)d customers, the most allowed.",
                name=str(new_owner),
                limit=limit,
            )
        )
    old_owner, now = customer.owner_id, utcnow()
    customer.owner, customer.owner_since, customer.clock_start = new_owner.id, now, now
    customer.warned_clock = None
    if customer.store_id is not None and customer.salesperson_id is None:
        customer.salesperson = new_owner.id
    with _verb(customer):
        customer.save()
    _record(customer, old_owner, reason, actor)
    _move_open_tasks(customer.id, new_owner.id, actor)


def _move_open_tasks(customer_id: int, assignee: int | None, actor: Actor) -> None:
    """Open follow-up tasks follow the customer to its new owner, or lapse in the pool."""
    from models.followups import FollowUpTask as Task
    from rules.bulk import audited_update

    open_tasks = (Task.customer == customer_id) & (Task.status == "open")
    change = {Task.assignee: assignee} if assignee else {Task.status: "void"}
    audited_update(Task, open_tasks, change, actor)


def claim(customer: Any) -> None:
    """The acting salesperson or store clerk takes a pool customer (A4)."""
    from models.staff import Staff

    actor = current_actor()
    if customer.owner_id is not None:
        raise RuleViolation(_("%(customer)s is not in the pool.", customer=str(customer)))
    if customer.store_id is not None and customer.store_id != actor.store_id:
        raise RuleViolation(_("Only that store's staff may claim a store customer."))
    if customer.store_id is None and "salesperson" not in actor.roles:
        raise RuleViolation(_("Only salespeople claim from the company pool."))
    cooldown = settings().customers.claim_cooldown_days
    if (
        cooldown
        and customer.previous_owner_id == actor.id
        and customer.released_at
        and customer.released_at > utcnow() - timedelta(days=cooldown)
    ):
        again = (customer.released_at + timedelta(days=cooldown)).date().isoformat()
        raise RuleViolation(
            _(
                "You released this customer recently; you may claim it again from %(date)s.",
                date=again,
            )
        )
    _hand_over(customer, Staff.get_by_id(actor.id), "claim", actor)


def assign(customer: Any, new_owner: Any) -> None:
    """The owner role gives a customer to someone (from the pool, or transferring it)."""
    actor = current_actor()
    if "owner" not in actor.roles and not actor.is_system:
        raise RuleViolation(_("Only the owner role assigns and transfers customers."))
    if not new_owner.active:
        raise RuleViolation(_("%(name)s is not active.", name=str(new_owner)))
    if customer.store_id is not None and new_owner.store_id not in (None, customer.store_id):
        raise RuleViolation(_("%(name)s works in another store.", name=str(new_owner)))
    if customer.owner_id == new_owner.id:
        raise RuleViolation(
            _(
                "%(customer)s already belongs to %(name)s.",
                customer=str(customer),
                name=str(new_owner),
            )
        )
    _hand_over(customer, new_owner, "assign" if customer.owner_id is None else "transfer", actor)


def release(customer: Any, reason: str = "release") -> None:
    """Return a customer to its pool (the store's pool for a store customer)."""
    actor = current_actor()
    old_owner = customer.owner_id
    customer.previous_owner, customer.released_at = old_owner, utcnow()
    customer.owner, customer.owner_since, customer.clock_start = None, None, None
    customer.warned_clock = None
    with _verb(customer):
        customer.save()
    _record(customer, old_owner, reason, actor)
    _move_open_tasks(customer.id, None, actor)


def record_creation(customer: Any) -> None:
    """Start the clock and the ownership history of a newly entered customer."""
    if customer.owner_id is not None:
        _record(customer, None, "created", current_actor())


def count_days_left(model: Any) -> Any:
    """SQL column `days_left`, for grids: whole days, rounded up (10.0 and 9.2 show 10)."""
    return fn.ROUND(days_left_expr(model, utcnow()) + 0.4999)
