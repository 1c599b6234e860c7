"""Follow-ups (C1) and follow-up tasks (C2), and the inbox, on each write path."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

import rules
from models import Customer, FollowUp, FollowUpTask, Notification, db
from models.audit import utcnow
from rules.followups import generate_tasks
from tasks import JOBS
from tests.conftest import actor_of, system

TODAY = date.today()
SURVEY = {
    "users_count": "2",
    "amount_per_person": "每天2粒",
    "adverse_reaction": "0",
    "expectations": "希望改善睡眠",
    "estimated_end_on": (TODAY + timedelta(days=30)).isoformat(),
    "next_followup_on": (TODAY + timedelta(days=10)).isoformat(),
}


def survey(**over):
    values = {
        "users_count": 2,
        "amount_per_person": "每天2粒",
        "adverse_reaction": False,
        "expectations": "希望改善睡眠",
        "estimated_end_on": TODAY + timedelta(days=30),
        "next_followup_on": TODAY + timedelta(days=10),
    }
    values.update(over)
    return values


def test_owner_logs_a_follow_up_through_the_form(as_user, world):
    c = as_user("sales1")
    form = c.get(f"/admin/follow_up/new/?customer={world.c_sales1.id}").get_data(as_text=True)
    assert world.c_sales1.name in form and world.c_sales2.name not in form
    response = c.post("/admin/follow_up/new/", {"customer": world.c_sales1.id, **SURVEY})
    assert response.status_code == 302
    with system():
        f = FollowUp.get()
        assert f.staff_id == world.sales1.id and f.adverse_reaction is False
        row = Customer.get_by_id(world.c_sales1.id)
        assert row.last_followup_at == f.at and row.clock_start == f.at
        assert row.next_followup_on == TODAY + timedelta(days=10)


@pytest.mark.parametrize(
    "missing",
    [
        "users_count",
        "amount_per_person",
        "adverse_reaction",
        "expectations",
        "estimated_end_on",
        "next_followup_on",
    ],
)
def test_every_survey_field_is_required(world, missing):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        row = FollowUp(customer=world.c_sales1.id, **survey(**{missing: None}))
        with pytest.raises(rules.RuleViolation) as exc:
            row.save()
    assert missing in exc.value.errors
    with system():
        assert not FollowUp.select().exists()


def test_form_shows_the_missing_survey_field(as_user, world):
    response = as_user("sales1").post(
        "/admin/follow_up/new/", {"customer": world.c_sales1.id, **{**SURVEY, "expectations": ""}}
    )
    assert response.status_code == 200
    assert 'id="expectations"' in response.get_data(as_text=True)
    with system():
        assert not FollowUp.select().exists()


def test_adverse_reaction_needs_details(world):
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        with pytest.raises(rules.RuleViolation) as exc:
            FollowUp(customer=world.c_sales1.id, **survey(adverse_reaction=True)).save()
    assert "adverse_details" in exc.value.errors


@pytest.mark.parametrize(
    "who,which,allowed",
    [
        ("sales2", "c_sales1", False),  # another salesperson's customer
        ("store1", "c_store1", True),  # the store's own customer
        ("store2", "c_store1", False),  # another store's customer
        ("supervisor", "c_sales1", False),  # not the owner
    ],
)
def test_only_the_owner_or_that_stores_staff_may_log(world, who, which, allowed):
    person = getattr(world, who)
    with db.connection_context(), rules.acting_as(actor_of(person)):
        row = FollowUp(customer=getattr(world, which).id, **survey())
        if allowed:
            row.save()
        else:
            with pytest.raises(rules.RuleViolation):
                row.save()


def set_customer(c, **values):
    with system():
        row = Customer.get_by_id(c.id)
        for key, value in values.items():
            setattr(row, key, value)
        row.save()


def test_task_job_creates_one_task_per_customer_by_the_most_urgent_reason(world):
    set_customer(
        world.c_sales1,
        next_followup_on=TODAY - timedelta(days=3),
        estimated_end_on=TODAY + timedelta(days=3),
    )
    set_customer(world.c_sales2, next_followup_on=TODAY - timedelta(days=1))
    set_customer(world.c_store1, owner_since=utcnow() - timedelta(days=40), last_followup_at=None)
    set_customer(world.c_store2, incomplete=True)  # completeness recomputes: wechat missing
    with system():
        made = generate_tasks(TODAY)
        tasks = {t.customer_id: t for t in FollowUpTask.select()}
    assert made["ending_soon"] == 1 and made["next_date"] == 1 and made["interval"] == 1
    assert tasks[world.c_sales1.id].reason == "ending_soon"
    assert tasks[world.c_sales2.id].reason == "next_date"
    assert tasks[world.c_sales2.id].assignee_id == world.sales2.id
    assert tasks[world.c_store1.id].reason == "interval"
    assert tasks[world.c_store2.id].reason == "incomplete"
    assert world.c_pool.id not in tasks  # nobody owns it
    with system():
        again = generate_tasks(TODAY)
    assert sum(again.values()) == 0


def test_overdue_tasks_rank_first_and_priority_rises(as_user, world):
    set_customer(world.c_sales1, next_followup_on=TODAY - timedelta(days=9))
    set_customer(world.c_sales2, next_followup_on=TODAY)
    with system():
        generate_tasks(TODAY)
        t = FollowUpTask.get(FollowUpTask.customer == world.c_sales2.id)
        t.assignee = world.sales1.id
        t.save()
    page = as_user("sales1").get("/admin/follow_up_task/").get_data(as_text=True)
    assert page.index(world.c_sales1.name) < page.index(world.c_sales2.name)
    assert ">39<" in page.replace(" ", "") or "39" in page  # 30 + 9 days overdue
    home = as_user("sales1").get("/admin/").get_data(as_text=True)
    assert 'data-testid="my-tasks"' in home and world.c_sales1.name in home


def test_logging_the_follow_up_closes_the_task(as_user, world):
    set_customer(world.c_sales1, next_followup_on=TODAY - timedelta(days=2))
    with system():
        generate_tasks(TODAY)
    c = as_user("sales1")
    assert world.c_sales1.name in c.get("/admin/follow_up_task/").get_data(as_text=True)
    c.post("/admin/follow_up/new/", {"customer": world.c_sales1.id, **SURVEY})
    with system():
        task = FollowUpTask.get(FollowUpTask.customer == world.c_sales1.id)
        assert task.status == "done" and task.done_at is not None
    assert world.c_sales1.name not in c.get("/admin/follow_up_task/").get_data(as_text=True)


def test_tasks_are_scoped_to_their_people(as_user, world):
    set_customer(world.c_sales1, next_followup_on=TODAY)
    with system():
        generate_tasks(TODAY)
    assert world.c_sales1.name not in as_user("sales2").get("/admin/follow_up_task/").get_data(
        as_text=True
    )


def test_task_job_from_the_cli(runner, world):
    set_customer(world.c_sales1, next_followup_on=TODAY - timedelta(days=1))
    result = runner.invoke(args=["run-job", "followup_tasks"])
    assert result.exit_code == 0 and "next_date 1" in result.output


def test_inbox_is_private_and_shows_an_unread_badge(as_user, world):
    with system():
        from rules.notifications import send

        send(
            [
                {"recipient": world.sales1.id, "title": "给李娜的消息"},
                {"recipient": world.owner.id, "title": "给老板的消息"},
            ]
        )
    sales1 = as_user("sales1")
    page = sales1.get("/admin/").get_data(as_text=True)
    assert 'data-testid="unread">1<' in page
    inbox = sales1.get("/admin/notification/").get_data(as_text=True)
    assert "给李娜的消息" in inbox and "给老板的消息" not in inbox
    owner_inbox = as_user("owner").get("/admin/notification/").get_data(as_text=True)
    assert "给李娜的消息" not in owner_inbox  # even the owner sees only their own
    with system():
        mine = Notification.get(Notification.recipient == world.sales1.id)
        theirs = Notification.get(Notification.recipient == world.owner.id)
    sales1.post(
        "/admin/notification/action/", {"action": "mark_read", "rowid": [mine.id, theirs.id]}
    )
    with system():
        assert Notification.get_by_id(mine.id).read_at is not None
        assert Notification.get_by_id(theirs.id).read_at is None
    assert 'data-testid="unread"' not in sales1.get("/admin/").get_data(as_text=True)


def test_job_writes_are_audited_as_system(world):
    set_customer(world.c_sales1, next_followup_on=TODAY)
    JOBS["followup_tasks"].run(datetime.combine(TODAY, datetime.min.time()))
    with system():
        from models import AuditLog

        task = FollowUpTask.get()
        entry = AuditLog.history("follow_up_task", task.id)[0]
        assert entry.action == "create" and entry.actor_name == "system"
