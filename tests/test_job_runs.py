"""A job killed mid-run no longer blocks its job for ever, and every run is logged
(issue 7 item 12). The killed run is a real process, killed with SIGKILL while its job runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tasks.locks
from models import JobRun
from rules import settings
from tasks import JOBS, Done, Job, configure_queue, huey, make_consumer
from tests.conftest import system
from tests.services import reachable, required

ROOT = Path(__file__).resolve().parent.parent
NAME = "backup_database"
HANG = """
import json, pathlib, sys, time
from app import create_app
from tasks import Done, Job

create_app(overrides=json.loads(sys.argv[1]))

def hang(now):
    pathlib.Path(sys.argv[2]).write_text("running")
    time.sleep(600)
    return Done("never")

Job(sys.argv[3], hang).run()
"""


def use_queue(url: str) -> None:
    s = settings()
    configure_queue(
        s.model_copy(update={"tasks": s.tasks.model_copy(update={"url": url, "immediate": False})})
    )


@pytest.fixture
def queue(app, tmp_path):
    """Point the job queue at a storage for one test, then back at the test default."""
    yield use_queue
    configure_queue(settings())


def kill_mid_run(overrides: dict, queue_url: str, tmp_path: Path) -> None:
    """Start `NAME` in another process on the same database and queue; SIGKILL it mid-run."""
    marker = tmp_path / "running"
    config = {**overrides, "tasks": {"url": queue_url, "immediate": False}}
    proc = subprocess.Popen(
        [sys.executable, "-c", HANG, json.dumps(config), str(marker), NAME], cwd=ROOT
    )
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the job never started in the other process"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def outcomes() -> list[str]:
    with system():
        return [r.outcome for r in JobRun.select().where(JobRun.job == NAME).order_by(JobRun.id)]


def skipped_then_runs_after_expiry(expire) -> None:
    assert "already running, skipped" in JOBS[NAME].run()
    assert outcomes() == ["running", "skipped"]
    expire()
    assert "already running" not in JOBS[NAME].run()
    assert outcomes() == ["interrupted", "skipped", "ok"]
    with system():
        last = JobRun.select().order_by(JobRun.id.desc()).first()
        assert last.finished_at >= last.started_at and last.count_dict


def later(monkeypatch):
    ttl = settings().tasks.lock_minutes * 60
    real = time.time
    return lambda: monkeypatch.setattr(tasks.locks, "clock", lambda: real() + ttl + 1)


def test_a_killed_runs_lock_expires_on_the_sqlite_queue(
    app, world, overrides, queue, tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path}/jobs.db"
    queue(url)
    kill_mid_run(overrides, url, tmp_path)
    skipped_then_runs_after_expiry(later(monkeypatch))


def test_a_killed_runs_lock_expires_on_the_redis_queue(app, world, overrides, queue, tmp_path):
    url = reachable("redis")
    if not url:
        if required():
            pytest.fail("Redis is required (MINGCRM_REQUIRE_SERVICES=1) but does not answer")
        pytest.skip("Redis not reachable")
    queue(url)
    huey.flush_locks(f"job:{NAME}")  # a test's own leftovers, never done at consumer start
    kill_mid_run(overrides, url, tmp_path)
    key = huey.storage.result_key(f"{huey.name}.lock.job:{NAME}")
    ttl = huey.storage.conn.ttl(key)
    assert 0 < ttl <= settings().tasks.lock_minutes * 60  # the server will drop it

    def expire() -> None:  # as if lock_minutes had passed: let the server expire it now
        huey.storage.conn.pexpire(key, 1)
        for _ in range(100):
            if not huey.storage.conn.exists(key):
                return
            time.sleep(0.01)

    skipped_then_runs_after_expiry(expire)


def test_a_dead_runs_lock_expires_on_the_memory_queue(app, world, queue, monkeypatch):
    queue("memory://")
    # the dead run took the lock as Job.run does, and never got to release it
    huey.lock_task(f"job:{NAME}", ttl=settings().tasks.lock_minutes * 60).acquire()
    with system():
        JobRun.begin(NAME)
    skipped_then_runs_after_expiry(later(monkeypatch))


def test_a_lock_within_its_time_still_keeps_runs_apart(app, world, queue, monkeypatch):
    queue("memory://")
    huey.lock_task(f"job:{NAME}", ttl=settings().tasks.lock_minutes * 60).acquire()
    ttl = settings().tasks.lock_minutes * 60
    real = time.time
    monkeypatch.setattr(tasks.locks, "clock", lambda: real() + ttl - 60)
    assert "already running, skipped" in JOBS[NAME].run()


def test_a_failed_run_is_logged_with_its_error_and_frees_the_lock(app, world):
    def broken(now):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        Job("broken_job", broken).run()
    with system():
        run = JobRun.get(JobRun.job == "broken_job")
    assert run.outcome == "failed" and "RuntimeError: disk full" in run.error
    assert run.finished_at is not None
    assert "ok" in Job("broken_job", lambda now: Done("ok", {"n": 1})).run()


def test_a_run_logs_its_counts(app, world):
    JOBS["reclaim_customers"].run()
    with system():
        run = JobRun.get(JobRun.job == "reclaim_customers")
    assert run.outcome == "ok"
    assert run.count_dict == {"returned_to_pool": 0, "customers_warned": 0}


def test_starting_a_consumer_leaves_another_consumers_locks_alone(app, world, queue, tmp_path):
    """With two consumers, one starting must not free a job the other is still running."""
    queue(f"sqlite:///{tmp_path}/jobs.db")
    other = huey.lock_task(f"job:{NAME}", ttl=settings().tasks.lock_minutes * 60)
    other.acquire()
    make_consumer(workers=1)
    assert huey.is_locked(f"job:{NAME}")
    assert "already running, skipped" in JOBS[NAME].run()
    other.release()
