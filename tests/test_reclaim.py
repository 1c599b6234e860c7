"""The reclaim job (A4): warn, then return neglected customers to their pool; set-based,
idempotent, config-driven, runnable from the CLI at a given clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import rules
from models import AuditLog, Customer, Notification, OwnershipChange
from tasks import JOBS
from tests.conftest import World, count_queries, system

T0 = datetime(2026, 10, 1, 2, 0)


def start_clocks(*customers, at=T0, **extra):
    with system():
        for c in customers:
            row = Customer.get_by_id(c.id)
            row.owner_since = row.clock_start = at
            for key, value in extra.items():
                setattr(row, key, value)
            row.save()


def run(now: datetime) -> str:
    return JOBS["reclaim_customers"].run(now)


def owner_of(c) -> int | None:
    with system():
        return Customer.get_by_id(c.id).owner_id


def test_neglected_customers_return_to_their_pool(world):
    start_clocks(world.c_sales1, world.c_store1)
    assert "0 returned" in run(T0 + timedelta(days=29))
    assert "2 returned" in run(T0 + timedelta(days=30, minutes=1))
    with system():
        company = Customer.get_by_id(world.c_sales1.id)
        store = Customer.get_by_id(world.c_store1.id)
        assert company.owner_id is None and company.store_id is None
        assert company.previous_owner_id == world.sales1.id and company.released_at
        assert store.owner_id is None and store.store_id == world.s1.id  # the store's pool
        history = OwnershipChange.select().where(OwnershipChange.reason == "reclaim")
        assert {(h.customer_id, h.from_owner_id) for h in history} == {
            (world.c_sales1.id, world.sales1.id),
            (world.c_store1.id, world.store1.id),
        }
        audit = AuditLog.history("customer", world.c_sales1.id)[0]
        assert audit.actor_name == "system" and audit.change_dict["owner"] == [
            world.sales1.id,
            None,
        ]
        note = Notification.get(Notification.recipient == world.sales1.id)
        assert "1" in note.title


def test_running_twice_changes_nothing_more(world):
    start_clocks(world.c_sales1)
    later = T0 + timedelta(days=31)
    assert "1 returned" in run(later)
    with system():
        counts = (
            AuditLog.select().count(),
            OwnershipChange.select().count(),
            Notification.select().count(),
        )
    assert "0 returned" in run(later)
    with system():
        assert counts == (
            AuditLog.select().count(),
            OwnershipChange.select().count(),
            Notification.select().count(),
        )


def test_a_follow_up_restarts_the_clock(world):
    start_clocks(world.c_sales1, last_followup_at=T0 + timedelta(days=20))
    with system():
        row = Customer.get_by_id(world.c_sales1.id)
        row.clock_start = T0 + timedelta(days=20)
        row.save()
    run(T0 + timedelta(days=31))
    assert owner_of(world.c_sales1) == world.sales1.id
    run(T0 + timedelta(days=51))
    assert owner_of(world.c_sales1) is None


def test_stricter_or_looser_limit_per_level(world):
    # config: vip = 60 days, gold = 45 days, others 30
    start_clocks(world.c_sales1, level="vip")
    start_clocks(world.c_sales2, level="gold")
    run(T0 + timedelta(days=46))
    assert owner_of(world.c_sales1) == world.sales1.id and owner_of(world.c_sales2) is None
    run(T0 + timedelta(days=61))
    assert owner_of(world.c_sales1) is None


def test_a_recent_deal_exempts_the_customer(world):
    start_clocks(world.c_sales1, last_deal_at=T0 + timedelta(days=10))
    run(T0 + timedelta(days=40))
    assert owner_of(world.c_sales1) == world.sales1.id


def test_owners_are_warned_once_before(world):
    start_clocks(world.c_sales1, world.c_sales2)
    run(T0 + timedelta(days=24))  # warn_days_before = 5: not yet
    with system():
        assert not Notification.select().exists()
    run(T0 + timedelta(days=26))
    run(T0 + timedelta(days=27))
    with system():
        notes = list(Notification.select().order_by(Notification.recipient))
        assert [n.recipient_id for n in notes] == [world.sales1.id, world.sales2.id]
        assert "5" in notes[0].title


def test_the_job_is_set_based(world):
    """The number of statements does not grow with the number of customers reclaimed."""
    start_clocks(world.c_sales1)
    with count_queries() as few:
        run(T0 + timedelta(days=31))
    with system():
        extra = [
            World.customer(f"客户{i}", f"1370000{i:04d}", owner=world.sales2) for i in range(40)
        ]
    start_clocks(*extra)
    with count_queries() as many:
        assert "40 returned" in run(T0 + timedelta(days=31))
    assert many.count == few.count


def test_cli_runs_the_job_at_a_later_clock(runner, world):
    start_clocks(world.c_sales1)
    result = runner.invoke(args=["run-job", "reclaim_customers", "--now", "2026-11-15T00:00"])
    assert result.exit_code == 0 and "1 returned" in result.output
    assert owner_of(world.c_sales1) is None


def test_days_left_matches_the_job(world):
    from rules.ownership import days_left_expr

    start_clocks(world.c_sales1)
    with system():
        left = (
            Customer.select(days_left_expr(Customer, T0 + timedelta(days=12)).alias("d"))
            .where(Customer.id == world.c_sales1.id)
            .scalar()
        )
    assert round(left) == 18


def test_schedule_is_in_config():
    assert "reclaim_customers" in rules.settings().tasks.schedule


def test_open_tasks_lapse_when_the_customer_is_reclaimed_and_follow_a_new_owner(world):
    from models import FollowUpTask as Task
    from rules.followups import generate_tasks
    from rules.ownership import assign
    from tests.conftest import make_staff

    start_clocks(world.c_sales1, world.c_store1, next_followup_on=T0.date())
    with system():
        generate_tasks(T0.date() + timedelta(days=1))
        colleague = make_staff("store1b", "store_staff", world.s1)
        assign(Customer.get_by_id(world.c_store1.id), colleague)
        moved = Task.get(Task.customer == world.c_store1.id)
        assert (moved.assignee_id, moved.status) == (colleague.id, "open")
    run(T0 + timedelta(days=40))
    with system():
        lapsed = Task.get(Task.customer == world.c_sales1.id)
        assert lapsed.status == "void"
        generate_tasks(T0.date() + timedelta(days=41))  # in the pool: no new task
        assert (
            not Task.select()
            .where((Task.customer == world.c_sales1.id) & (Task.status == "open"))
            .exists()
        )
