"""The reclaim job's set-based work (A4): warn owners, then return overdue customers to the pool.

Each step is a handful of statements whatever the table size, selects its rows with the rule
itself, writes ownership history and audit rows, and is idempotent: a second run at the same
clock finds nothing left to do.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from peewee import Value

from models.customers import Customer, OwnershipChange
from models.db import db
from models.followups import FollowUpTask as Task
from rules import current_actor, settings
from rules.bulk import audited_update
from rules.i18n import gettext as _
from rules.notifications import compose, send
from rules.ownership import due_for_reclaim


def _per_owner(where) -> list[tuple[int, int]]:
    """How many matching customers each owner has.

    Counted here rather than with GROUP BY: SQLite answers that GROUP BY from the owner index,
    then fetches every owned row one by one (1.7 s at 1M rows, against 0.3 s for this scan).
    """
    owners = Customer.select(Customer.owner).where(where).tuples().iterator()
    return sorted(Counter(owner for (owner,) in owners).items())


def warn_owners(now: datetime) -> int:
    """Tell each owner how many customers return to the pool within the warning days."""
    days = settings().customers.warn_days_before
    soon = (
        due_for_reclaim(Customer, now, within_days=days)
        & ~due_for_reclaim(Customer, now)
        & (Customer.warned_clock.is_null() | (Customer.warned_clock != Customer.clock_start))
    )
    with db.atomic():
        counts = _per_owner(soon)
        per_owner = dict(counts)
        send(
            compose(
                list(per_owner),
                lambda owner: {
                    "recipient": owner,
                    "key": f"reclaim-warn:{owner}:{now:%Y%m%d%H%M}",
                    "title": _(
                        "%(count)d of your customers return to the pool within %(days)d days",
                        count=per_owner[owner],
                        days=days,
                    ),
                    "body": _("Log a follow-up to keep them: each follow-up restarts the clock."),
                    "link": "/admin/customer/?sort=days_left",
                },
            )
        )
        audited_update(
            Customer, soon, {Customer.warned_clock: Customer.clock_start}, current_actor()
        )
    return sum(c for _o, c in counts)


def reclaim_stale_customers(now: datetime) -> int:
    """Return every overdue customer to its pool; record history; tell the former owners."""
    actor = current_actor()
    due = due_for_reclaim(Customer, now)
    with db.atomic():
        counts = _per_owner(due)
        if not counts:
            return 0
        history = Customer.select(
            Customer.id,
            Customer.owner,
            Value(None),
            Customer.store,
            Value("reclaim"),
            Value(actor.username),
            Value(now),
        ).where(due)
        OwnershipChange.insert_from(
            history,
            [
                OwnershipChange.customer,
                OwnershipChange.from_owner,
                OwnershipChange.to_owner,
                OwnershipChange.store,
                OwnershipChange.reason,
                OwnershipChange.by_name,
                OwnershipChange.at,
            ],
        ).execute()
        lapsed = Task.customer.in_(Customer.select(Customer.id).where(due)) & (
            Task.status == "open"
        )
        audited_update(Task, lapsed, {Task.status: "void"}, actor)
        moved = audited_update(
            Customer,
            due,
            {
                Customer.owner: None,
                Customer.previous_owner: Customer.owner,
                Customer.released_at: now,
                Customer.owner_since: None,
                Customer.clock_start: None,
                Customer.warned_clock: None,
            },
            actor,
        )
        per_owner = dict(counts)
        send(
            compose(
                list(per_owner),
                lambda owner: {
                    "recipient": owner,
                    "key": f"reclaim:{owner}:{now:%Y%m%d%H%M}",
                    "title": _(
                        "%(count)d of your customers went back to the pool", count=per_owner[owner]
                    ),
                    "body": _("They had no follow-up within the service time limit."),
                    "link": "/admin/pool/",
                },
            )
        )
    return moved
