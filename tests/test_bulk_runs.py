"""Bulk at any size (issue 8 item 8; B2, B3, B5): a step with effects on more than one batch of
records runs as a job, batch by batch, with a progress page the person may leave and come back
to; each refused row carries the engine's reason; a failing batch keeps the finished ones."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import rules
from models import Notification, SalesOrder, Transition, db
from models.bulk import BulkRun
from models.points import PointsEntry
from rules import points
from rules import workflow as engine
from rules import workflow_batch as batch
from rules.workflow_bulk_run import open_run, run_batches
from tests.conftest import actor_of, system
from tests.test_sales import at_state, new_order, reload, step

BATCH = 2


@pytest.fixture
def overrides(overrides):
    return {**overrides, "tasks": {**overrides["tasks"], "bulk_batch": BATCH}}


def verified(world, n, **extra):
    return [step(world.supervisor, step(world.sales1, new_order(world, **extra))) for _ in range(n)]


def opened(person, where, action="confirm_payment", note=""):
    with db.connection_context(), rules.acting_as(actor_of(person)):
        return open_run(SalesOrder, where, action, note)


def test_paying_more_than_a_batch_runs_as_a_job_with_a_progress_page(as_user, world):
    orders = verified(world, 5)
    c = as_user("finance")
    response = c.post(
        "/admin/sales_order/action/", {"action": "to_paid", "rowid": [o.id for o in orders]}
    )
    assert "/admin/sales_order/bulk_run/?id=" in response.headers["Location"]
    assert [reload(o).status for o in orders] == ["paid"] * 5  # immediate queue in tests
    assert points.balance(world.c_sales1.id) == 5 * 396
    with system():
        run = BulkRun.get()
        assert (run.state, run.total, run.done, run.moved, run.refusals) == ("done", 5, 5, 5, [])
        mine = Notification.recipient == world.finance.id
        message = Notification.get(mine & Notification.link.contains("bulk_run"))
        assert re.search(r"5 of 5 done, 0 refused|5 条中成功 5 条，被拒 0 条", message.title)
        shipping = Notification.select().where(Notification.recipient == world.warehouse.id)
        assert shipping.count() == 3  # who ships next: one message per batch of two
    assert message.link == f"/admin/sales_order/bulk_run/?id={run.id}"
    page = c.get(message.link).get_data(as_text=True)  # coming back to it from the inbox
    assert 'data-state="done"' in page and "100%" in page
    assert as_user("supervisor").get(message.link).status_code == 404  # the person's own run


def test_the_grids_all_matching_button_runs_the_job_over_a_batch(as_user, world):
    orders = verified(world, 3)
    response = as_user("finance").post("/admin/sales_order/approve_matching/", {"step": "paid"})
    assert "/bulk_run/" in response.headers["Location"]
    assert [reload(o).status for o in orders] == ["paid"] * 3


def test_each_refused_row_comes_back_with_the_engines_reason(world):
    from models import Staff

    with system():  # the reasons are written in the person's language (here English)
        Staff.update(locale="en").where(Staff.id == world.finance.id).execute()
    fine = verified(world, 2)
    flagged = verified(world, 1, discount="100.00")[0]  # needs the discount approved first
    draft = new_order(world)
    ids = [o.id for o in [*fine, flagged, draft]]
    run = run_batches(opened(world.finance, SalesOrder.id.in_(ids)).id)
    assert (run.state, run.moved) == ("done", 2)
    reasons = {rid: reason for rid, _text, reason in run.refusals}
    assert set(reasons) == {flagged.id, draft.id}
    assert "approve the discount first" in reasons[flagged.id]
    assert "cannot go to" in reasons[draft.id] and "draft" in reasons[draft.id]
    assert reload(flagged).status == "verified" and reload(draft).status == "draft"


def test_a_batch_failing_midway_keeps_finished_batches_and_resumes(world, monkeypatch):
    orders = verified(world, 5)
    ids = [o.id for o in orders]
    key = ("sales_order", "earn_points")
    real, twin = engine._effects[key], batch._batched[key]
    calls = []

    def broken(*args):  # the second batch fails, on either path
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return (real.fn if len(args) == 2 else twin.fn)(*args)

    monkeypatch.setitem(engine._effects, key, replace(real, fn=broken))
    monkeypatch.setitem(batch._batched, key, replace(twin, fn=broken))
    run = opened(world.finance, SalesOrder.id.in_(ids))
    with pytest.raises(RuntimeError):
        run_batches(run.id)
    with system():
        run = BulkRun.get_by_id(run.id)
    assert (run.state, run.done, run.moved) == ("failed", 2, 2)
    assert "the disk is full" in run.error
    assert [reload(o).status for o in orders] == ["paid"] * 2 + ["verified"] * 3
    monkeypatch.setitem(engine._effects, key, real)
    monkeypatch.setitem(batch._batched, key, twin)
    run = run_batches(run.id)
    assert (run.state, run.done, run.moved) == ("done", 5, 5)
    assert [reload(o).status for o in orders] == ["paid"] * 5
    assert points.balance(world.c_sales1.id) == 5 * 396  # each order earned once
    with system():
        earned = PointsEntry.select().where(PointsEntry.reason == "earn").count()
        paid = Transition.select().where(Transition.to_state == "paid").count()
    assert (earned, paid) == (5, 5)
    assert run_batches(run.id).moved == 5  # a done run does nothing more


def test_the_job_only_touches_rows_the_person_can_see(world):
    mine = [new_order(world) for _ in range(3)]
    theirs = new_order(world, person=world.sales2, customer=world.c_sales2)
    run = opened(world.sales1, SalesOrder.status == "draft", "submit")
    assert run.id_list == [o.id for o in mine]
    run_batches(run.id)
    assert [reload(o).status for o in mine] == ["submitted"] * 3
    assert reload(theirs).status == "draft"


def test_the_persons_permission_is_checked_once_at_the_start(world):
    order = at_state(world, "verified")
    with pytest.raises(rules.RuleViolation, match="is for"):
        opened(world.warehouse, SalesOrder.id == order.id)
    with system():
        assert BulkRun.select().count() == 0


def test_a_batch_mixes_the_set_based_path_and_the_engines_verb(world):
    """Orders redeeming points take the per-order path (its balance check); the others are
    moved set-based; both write the same rows (B5)."""
    with system():
        points.post(world.c_sales1.id, 100, "earn", "opening", rules.SYSTEM)
        points.post(world.c_sales2.id, 100, "earn", "opening", rules.SYSTEM)
    plain = verified(world, 3)
    redeeming = verified(world, 1, points_redeemed=50)[0]
    greedy = step(world.supervisor, step(world.sales2, new_order(
        world, person=world.sales2, customer=world.c_sales2, points_redeemed=100
    )))  # fmt: skip
    with system():
        points.post(world.c_sales2.id, -100, "redeem", "elsewhere", rules.SYSTEM)
    ids = [o.id for o in [*plain, redeeming, greedy]]
    run = run_batches(opened(world.finance, SalesOrder.id.in_(ids)).id)
    assert (run.moved, [r[0] for r in run.refusals]) == (4, [greedy.id])
    assert re.search("Not enough points|积分不足", run.refusals[0][2])
    with system():
        lines = list(PointsEntry.select().where(PointsEntry.source.startswith("sales_order")))
        paid = list(SalesOrder.select().where(SalesOrder.status == "paid"))
    earned = sum(o.points_earned for o in paid)
    assert points.balance(world.c_sales1.id) == 100 - 50 + earned
    assert sorted(e.delta for e in lines) == sorted([-50, *(o.points_earned for o in paid)])
    assert {reload(o).points_earned for o in plain} == {396}
    assert all(o.paid_at and o.paid_amount == o.total for o in paid)
    assert max(lines, key=lambda e: e.balance_after).balance_after == 100 - 50 + earned


def test_a_stopped_run_is_resumed_from_its_page(as_user, world, monkeypatch):
    orders = verified(world, 3)
    key = ("sales_order", "record_payment")
    twin = batch._batched[key]

    def broken(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setitem(batch._batched, key, replace(twin, fn=broken))
    c = as_user("finance")
    page = c.post("/admin/sales_order/approve_matching/", {"step": "paid"}).headers["Location"]
    assert 'data-state="failed"' in c.get(page).get_data(as_text=True)
    assert [reload(o).status for o in orders] == ["verified"] * 3
    monkeypatch.setitem(batch._batched, key, twin)
    with system():
        run = BulkRun.get()
    c.post(f"/admin/sales_order/bulk_run/resume/?id={run.id}")
    assert 'data-state="done"' in c.get(page).get_data(as_text=True)
    assert [reload(o).status for o in orders] == ["paid"] * 3


def test_a_run_whose_worker_died_is_shown_stalled_and_resumed(as_user, world, monkeypatch):
    """B2/B3: a worker killed midway (power cut, kill -9) leaves its run "running"; once no
    batch has finished for `[tasks] bulk_stall_minutes` the page says stalled and offers
    Resume, which continues after the last finished batch. A live run cannot be resumed."""
    from datetime import timedelta

    from models.audit import utcnow

    orders = verified(world, 5)
    key = ("sales_order", "record_payment")
    twin = batch._batched[key]
    calls = []

    def killed(*args):  # the worker dies in the second batch: nothing records it
        calls.append(args)
        if len(calls) == 2:
            raise SystemExit("killed")
        return twin.fn(*args)

    monkeypatch.setitem(batch._batched, key, replace(twin, fn=killed))
    run = opened(world.finance, SalesOrder.id.in_([o.id for o in orders]))
    with pytest.raises(SystemExit):
        run_batches(run.id)
    monkeypatch.setitem(batch._batched, key, twin)
    c = as_user("finance")
    page = f"/admin/sales_order/bulk_run/?id={run.id}"
    resume = f"/admin/sales_order/bulk_run/resume/?id={run.id}"
    html = c.get(page).get_data(as_text=True)
    assert 'data-state="running"' in html and "bulk-resume" not in html  # it may still be alive
    c.post(resume)  # refused: a live run is never run twice
    with system():
        assert (BulkRun.get_by_id(run.id).state, BulkRun.get_by_id(run.id).done) == ("running", 2)
    assert [reload(o).status for o in orders] == ["paid"] * 2 + ["verified"] * 3
    limit = rules.settings().tasks.bulk_stall_minutes
    with system():
        silent_since = utcnow() - timedelta(minutes=limit + 1)
        BulkRun.update(beat_at=silent_since).where(BulkRun.id == run.id).execute()
    html = c.get(page).get_data(as_text=True)
    assert 'data-state="stalled"' in html and "bulk-resume" in html
    assert 'http-equiv="refresh"' not in html
    assert as_user("supervisor").get(page).status_code == 404  # only the person who started it
    assert c.post(resume, csrf=False).status_code == 400
    c.post(resume)
    with system():
        run = BulkRun.get_by_id(run.id)
    assert (run.state, run.done, run.moved) == ("done", 5, 5)
    assert [reload(o).status for o in orders] == ["paid"] * 5
    with system():
        assert Transition.select().where(Transition.to_state == "paid").count() == 5
    assert 'data-state="done"' in c.get(page).get_data(as_text=True)


def test_the_progress_page_names_refused_fields_in_the_persons_language(as_user, world):
    """The job writes refusals as the person reads them (their language); the page names the
    field by the grid's label, not its column (README "Languages")."""
    from models import Staff

    with system():
        Staff.update(locale="zh_CN").where(Staff.id == world.finance.id).execute()
        points.post(world.c_sales1.id, 10, "earn", "opening", rules.SYSTEM)
    greedy = verified(world, 1, points_redeemed=10)[0]
    with system():
        points.post(world.c_sales1.id, -10, "redeem", "elsewhere", rules.SYSTEM)
    run = run_batches(opened(world.finance, SalesOrder.id.in_([greedy.id])).id)
    assert [r[0] for r in run.refusals] == [greedy.id]
    page = as_user("finance").get(f"/admin/sales_order/bulk_run/?id={run.id}")
    refused = page.get_data(as_text=True).split('data-testid="bulk-refused"')[1]
    assert "积分" in refused and "points_redeemed" not in refused, refused
    reason = re.sub(r"<[^>]+>", " ", refused.split("</table>")[0].split("</a>", 1)[1])
    assert not re.search(r"[A-Za-z]{4,}", reason), reason
