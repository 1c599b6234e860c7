"""Daily customer jobs: reclaim neglected customers (A4) and build follow-up tasks (C2)."""

from __future__ import annotations

from datetime import datetime

from rules.followups import generate_tasks
from rules.reclaim import reclaim_stale_customers, warn_owners
from tasks import Done, job, local_now


@job("reclaim_customers")
def reclaim_customers(now: datetime) -> Done:
    """Warn owners of customers about to return to the pool, then return the overdue ones."""
    warned = warn_owners(now)
    moved = reclaim_stale_customers(now)
    return Done(
        f"reclaim_customers: {moved} returned to the pool, {warned} owners' customers warned",
        {"returned_to_pool": moved, "customers_warned": warned},
    )


@job("followup_tasks")
def followup_tasks(now: datetime) -> Done:
    """Create today's follow-up tasks; undone ones stay open and rank higher each day."""
    made = generate_tasks(local_now(now).date())
    detail = ", ".join(f"{reason} {count}" for reason, count in made.items())
    total = sum(made.values())
    return Done(f"followup_tasks: {total} new tasks ({detail})", {"new_tasks": total, **made})
