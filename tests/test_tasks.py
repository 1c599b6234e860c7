"""Jobs (issue 2 §10): huey storage from config, cron schedules in local time, locks, CLI."""

from __future__ import annotations

from datetime import datetime

import pytest

from models import Staff
from tasks import JOBS, configure_queue, huey, is_due, run_job_later
from tests.conftest import system
from tests.services import reachable, required


def test_schedule_is_a_cron_line_in_the_configured_time_zone(app):
    # backup_database = "30 2 * * *" in Asia/Shanghai (UTC+8) -> 18:30 UTC the day before
    assert is_due("backup_database", datetime(2026, 11, 27, 18, 30))
    assert not is_due("backup_database", datetime(2026, 11, 28, 2, 30))
    assert not is_due("no_such_job", datetime(2026, 11, 27, 18, 30))


def test_run_job_cli_runs_the_job_at_the_given_clock(app, runner, world):
    result = runner.invoke(args=["run-job", "backup_database", "--now", "2026-11-27T18:30:00"])
    assert result.exit_code == 0, result.output
    assert "backup_database" in result.output
    if "skipped" not in result.output:  # SQLite: a real backup file
        assert "mingcrm-20261127-183000.db" in result.output


def test_run_job_cli_names_the_jobs_when_the_name_is_wrong(runner):
    result = runner.invoke(args=["run-job", "backup"])
    assert result.exit_code != 0 and "backup_database" in result.output


def test_a_job_does_not_overlap_itself(app, world):
    with huey.lock_task("job:backup_database"):
        assert "already running" in JOBS["backup_database"].run()


def _enqueue_and_run(queue_url: str, overrides) -> str:
    from rules import settings

    configure_queue(
        settings().model_copy(
            update={
                "tasks": settings().tasks.model_copy(update={"url": queue_url, "immediate": False})
            }
        )
    )
    try:
        huey.flush()
        result = run_job_later("backup_database", "2026-11-27T18:30:00")
        task = huey.dequeue()
        assert task is not None, "the task did not reach the queue"
        huey.execute(task)
        return result.get()
    finally:
        configure_queue(settings())


def test_sqlite_queue_carries_a_task_to_a_worker(app, world, tmp_path, overrides):
    out = _enqueue_and_run(f"sqlite:///{tmp_path}/jobs.db", overrides)
    assert out.startswith("backup_database")


def test_redis_queue_carries_a_task_to_a_worker(app, world, overrides):
    url = reachable("redis")
    if not url:
        if required():
            pytest.fail("Redis is required (MINGCRM_REQUIRE_SERVICES=1) but does not answer")
        pytest.skip("Redis not reachable")
    out = _enqueue_and_run(url, overrides)
    assert out.startswith("backup_database")


def test_seed_demo_is_idempotent_and_every_demo_login_works(app, runner, client):
    from models.demo import DEMO_PASSWORD, STAFF

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "staff: 10" in first.output
    again = runner.invoke(args=["seed-demo"])
    assert "staff: 0" in again.output and "customers: 0" in again.output
    with system():
        assert Staff.select().count() == len(STAFF)
    for username, *_ in STAFF:
        response = client.login(username, DEMO_PASSWORD)
        assert response.status_code == 302, username
        client.post("/logout")


def test_seed_demo_if_empty_leaves_a_used_database_alone(app, runner, world):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded" in result.output


def test_migrate_cli_reports_the_version(runner):
    from models.migrations import LATEST

    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0 and f"version {LATEST}" in result.output
