"""Adverse reactions (C1, issue 7 item 8): a follow-up with 不良反应 = yes opens a case, tells
the sales supervisor in the inbox and shows on their home page; the owner role or a
supervisor closes it with a note, required."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import rules
from models import AdverseCase, FollowUp, Notification, db
from rules.adverse import close_case
from tests.conftest import actor_of, make_staff, system

TODAY = date.today()
FORM = {
    "users_count": "2",
    "amount_per_person": "每天2粒",
    "adverse_reaction": "1",
    "adverse_details": "服用后皮疹",
    "expectations": "希望改善睡眠",
    "estimated_end_on": (TODAY + timedelta(days=30)).isoformat(),
    "next_followup_on": (TODAY + timedelta(days=10)).isoformat(),
}


def survey(**over):
    values = {
        "users_count": 1,
        "amount_per_person": "每天1粒",
        "adverse_reaction": True,
        "adverse_details": "头晕",
        "expectations": "无",
        "estimated_end_on": TODAY + timedelta(days=30),
        "next_followup_on": TODAY + timedelta(days=10),
    }
    values.update(over)
    return values


def log(person, customer, **over) -> FollowUp:
    with db.connection_context(), rules.acting_as(actor_of(person)):
        row = FollowUp(customer=customer.id, **survey(**over))
        row.save()
        return row


def cases() -> list[AdverseCase]:
    with system():
        return list(AdverseCase.select().order_by(AdverseCase.id))


def inbox(person) -> list[Notification]:
    with system():
        return list(Notification.select().where(Notification.recipient == person.id))


def test_a_reaction_logged_through_the_form_opens_a_case_and_tells_the_supervisor(as_user, world):
    with system():
        second = make_staff("supervisor2", "sales_supervisor")
    response = as_user("sales1").post(
        "/admin/follow_up/new/", {"customer": world.c_sales1.id, **FORM}
    )
    assert response.status_code == 302
    (case,) = cases()
    with system():
        followup = FollowUp.get()
    assert (case.customer_id, case.follow_up_id) == (world.c_sales1.id, followup.id)
    assert case.details == "服用后皮疹" and case.closed_at is None
    for person in (world.supervisor, second):
        (message,) = inbox(person)
        assert "王秀英" in message.title and "服用后皮疹" in message.body
        assert message.link == f"/admin/adverse_case/details/?id={case.id}"
    assert inbox(world.owner) == [] and inbox(world.sales2) == []
    home = as_user("supervisor").get("/admin/").get_data(as_text=True)
    assert 'data-testid="open-cases"' in home and "服用后皮疹" in home


def test_every_write_path_through_save_opens_a_case_once(world):
    log(world.store1, world.c_store1)  # store staff, rules path directly (import, jobs, CLI)
    assert [c.customer_id for c in cases()] == [world.c_store1.id]
    no = log(world.sales1, world.c_sales1, adverse_reaction=False, adverse_details="")
    assert len(cases()) == 1
    with db.connection_context(), rules.acting_as(actor_of(world.owner)):  # edited no -> yes
        row = FollowUp.get_by_id(no.id)
        row.adverse_reaction, row.adverse_details = True, "胃不适"
        row.save()
        row.notes = "再次保存"
        row.save()  # saving again opens no second case
    assert [c.details for c in cases()] == ["头晕", "胃不适"]


def test_closing_needs_a_note_with_a_field_message(as_user, world):
    log(world.sales1, world.c_sales1)
    (case,) = cases()
    supervisor = as_user("supervisor")
    page = supervisor.get(f"/admin/adverse_case/close/?id={case.id}")
    assert page.status_code == 200 and 'data-testid="close-form"' in page.get_data(as_text=True)
    refused = supervisor.post("/admin/adverse_case/close/", {"id": case.id, "closing_note": "  "})
    assert refused.status_code == 200
    assert 'data-testid="closing-note-error"' in refused.get_data(as_text=True)
    assert cases()[0].closed_at is None
    done = supervisor.post(
        "/admin/adverse_case/close/", {"id": case.id, "closing_note": "已电话回访，建议停用"}
    )
    assert done.status_code == 302
    (closed,) = cases()
    assert closed.closed_by_id == world.supervisor.id and closed.closed_at is not None
    assert closed.closing_note == "已电话回访，建议停用"
    home = supervisor.get("/admin/").get_data(as_text=True)
    assert 'data-testid="no-open-cases"' in home


def test_rules_refuse_a_closed_case_changing_and_a_hand_made_case(world):
    first = log(world.sales1, world.c_sales1)
    (case,) = cases()
    with db.connection_context(), rules.acting_as(actor_of(world.owner)):
        with pytest.raises(rules.RuleViolation) as exc:
            close_case(AdverseCase.get_by_id(case.id), "")
        assert "closing_note" in exc.value.errors
        row = AdverseCase.get_by_id(case.id)
        row.details = "改写"
        with pytest.raises(rules.RuleViolation):
            row.save()
        close_case(AdverseCase.get_by_id(case.id), "处理完毕")
        with pytest.raises(rules.RuleViolation, match="closed"):
            close_case(AdverseCase.get_by_id(case.id), "再关一次")
    with db.connection_context(), rules.acting_as(actor_of(world.sales1)):
        with pytest.raises(rules.RuleViolation):  # a salesperson may not close
            close_case(AdverseCase.get_by_id(case.id), "我来关")
        with pytest.raises(rules.RuleViolation):  # nobody creates one by hand
            AdverseCase(follow_up=first.id, customer=world.c_sales1.id, details="x").save()


def test_only_the_owner_role_and_supervisors_may_close(as_user, world):
    log(world.sales1, world.c_sales1)
    (case,) = cases()
    for who in ("sales1", "store1", "finance"):
        response = as_user(who).post(
            "/admin/adverse_case/close/", {"id": case.id, "closing_note": "我来关"}
        )
        assert response.status_code in (302, 403), who
    assert cases()[0].closed_at is None
    assert "close-" not in as_user("sales1").get("/admin/adverse_case/").get_data(as_text=True)
    home = as_user("sales1").get("/admin/").get_data(as_text=True)
    assert 'data-testid="open-cases"' not in home
    as_user("owner").post("/admin/adverse_case/close/", {"id": case.id, "closing_note": "老板处理"})
    assert cases()[0].closed_by_id == world.owner.id
