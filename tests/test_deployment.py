"""The scale-out deployment (issue 11 item 1): `python -m tasks.prod` (`make serve-prod`) really
started, on a free loopback port, against a private PostgreSQL schema and a private Redis queue
name: gunicorn with two workers and two huey consumers, one of them with the periodic jobs."""

from __future__ import annotations

import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from models.demo import DEMO_PASSWORD
from tests.deployment import PROJECT, PY, Browser, Site, running
from tests.services import reachable, required

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _services() -> tuple[str, str]:
    pg, redis = reachable("postgres"), reachable("redis")
    if not (pg and redis):
        missing = "PostgreSQL" if not pg else "Redis"
        if required():
            pytest.fail(f"{missing} is required (MINGCRM_REQUIRE_SERVICES=1) but does not answer")
        pytest.skip(f"{missing} not reachable")
    return pg, redis


@pytest.fixture(scope="module")
def site():
    pg, redis = _services()
    # one job thread per consumer: a consumer busy with a job takes no other task, so a task
    # the other consumer runs meanwhile really ran in another process
    deployment = Site("postgresql", pg, redis)
    with running(
        deployment, "--job-workers", "1", schedule={"backup_database": "* * * * *"}
    ) as started:
        yield started


def sql(site: Site, query: str, params: tuple = ()) -> list[tuple]:
    import psycopg2

    con = psycopg2.connect(site.pg_url, options=f"-c search_path={site.name}")
    try:
        with con, con.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    finally:
        con.close()


def wait_for(what: str, check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def served_by(site: Site, marker: str) -> int | None:
    """The pid of the web worker that served the request whose URL holds `marker`
    (gunicorn's access log, see ACCESS_FORMAT in tasks/prod.py)."""
    found = re.search(rf'<(\d+)> "\w+ [^"]*probe={marker}\b', site.log())
    return int(found.group(1)) if found else None


def test_the_deployment_runs_two_web_workers_and_two_consumers_one_periodic(site):
    log = site.log()
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", log))) == 2
    assert log.count("Huey consumer started") == 2
    assert log.count("Periodic tasks are enabled") == 1
    assert log.count("Periodic tasks are disabled") == 1


def test_a_login_on_one_web_worker_works_on_the_other(site):
    person = Browser(site.base)
    person.get("/login")
    status, _, _ = person.post(
        "/login?probe=login", {"username": "owner", "password": DEMO_PASSWORD}
    )
    assert status == 302
    login_pid = wait_for("the login in the access log", lambda: served_by(site, "login"), 10)
    # sync requests tend to land on the same worker; parallel ones spread over both
    seen: dict[int, int] = {}
    with ThreadPoolExecutor(4) as pool:
        for round_no in range(10):
            markers = [f"r{round_no}x{i}" for i in range(4)]
            statuses = list(pool.map(lambda m: person.get(f"/admin/?probe={m}")[0], markers))
            assert statuses == [200] * 4, "a logged-in page was refused by a worker"
            for m in markers:
                pid = wait_for("the request in the access log", lambda m=m: served_by(site, m), 10)
                seen[pid] = seen.get(pid, 0) + 1
            if set(seen) - {login_pid}:
                break
    assert set(seen) - {login_pid}, f"every request went to the login's worker {login_pid}"
    anonymous = Browser(site.base)
    assert anonymous.get("/admin/")[0] == 302  # and the page is closed without that login


def test_a_periodic_job_runs_once_not_once_per_consumer(site):
    # backup_database is due every minute; both consumers have started and checked the schedule
    wait_for("both consumers", lambda: site.log().count("Huey consumer started") == 2)
    wait_for(
        "the first run", lambda: sql(site, "SELECT 1 FROM job_run WHERE job = 'backup_database'")
    )
    time.sleep(3)  # a second consumer's run would have come by now
    runs = sql(
        site, "SELECT started_at, outcome FROM job_run WHERE job = 'backup_database' ORDER BY 1"
    )
    assert [outcome for _, outcome in runs] == ["ok"] * len(runs)
    starts = [started for started, _ in runs]
    # one scheduler checks once a minute; two would each have run it at start-up
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(gap > timedelta(seconds=30) for gap in gaps), runs


def test_a_job_lock_holds_across_consumer_processes(site):
    import psycopg2

    blocker = psycopg2.connect(site.pg_url, options=f"-c search_path={site.name}")
    try:
        with blocker.cursor() as cur:  # the first run will wait here, holding the job's lock
            cur.execute("LOCK TABLE customer IN ACCESS EXCLUSIVE MODE")
        enqueue = (
            "from tasks.consumer import huey; from tasks import run_job_later\n"
            "for _ in range(3): run_job_later('reclaim_customers')"
        )
        subprocess.run([PY, "-c", enqueue], cwd=PROJECT, env=site.env, check=True, timeout=60)

        def outcomes() -> list[str]:
            rows = sql(site, "SELECT outcome FROM job_run WHERE job = 'reclaim_customers'")
            return sorted(outcome for (outcome,) in rows)

        # the busy consumer takes nothing else: the other process found the lock held
        wait_for("two skipped runs", lambda: outcomes() == ["running", "skipped", "skipped"])
    finally:
        blocker.rollback()
        blocker.close()
    wait_for("the first run to finish", lambda: outcomes() == ["ok", "skipped", "skipped"])
