"""Test-only processes for the fault tests (issue 11 item 3); production code has no hook.

As a huey consumer module, `huey_consumer tests.fault_hooks.huey -k thread -w 1`, it is
tasks.consumer with one difference when MINGCRM_FAULT_PAUSE="<point>:<marker file>" is set:
every periodic job stops at that point, writes the marker file (naming the point it reached)
and sleeps, so the test's SIGKILL lands mid-job, deterministically. Points, counted on the
job's own thread, outside its job_run bookkeeping:
  write   just after the job's first INSERT/UPDATE/DELETE, inside its transaction;
  commit  just after the job's first commit that followed a write (later ones not yet run);
  end     after the job's work, before its run is logged as finished.
A job that never reaches `write` or `commit` (the SQLite backup copies the file with the
sqlite3 backup API, outside peewee) stops at `end` and says so in the marker.
With MINGCRM_FAULT_ENQUEUE="<job>@<ISO UTC time>" it first queues that job's "run now".

`python -m tests.fault_hooks paid-orders N` makes N more demo orders at "paid" and prints the
ids of all paid orders; `python -m tests.fault_hooks bulk MARKER ROW ID,ID,...` ships them with
the sales grid's bulk action as the warehouse, through the web app in this process, and stops
inside the transaction of the ROW-th order (after its first write) until it is killed.

As a script, `python -m tests.fault_hooks rerun JOB ISO_TIME`, it runs the job as an operator
would after the kill: once at once (the dead run's lock still holds: skipped), then once
after the lock's time is up (on Redis the key is made to expire, elsewhere the lock clock is
moved past it), and prints both results.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from models.db import db
from tasks import JOBS, run_job_later
from tasks.consumer import app, huey

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)
state = threading.local()


def _pause(point: str) -> None:
    marker = Path(os.environ["MINGCRM_FAULT_PAUSE"].split(":", 1)[1])
    marker.write_text(point)
    time.sleep(3600)  # the test kills this process now


def _hook(point: str) -> None:
    def wrap_job(fn):
        def paused(now: datetime):
            state.job, state.wrote, state.done = True, False, False
            try:
                result = fn(now)
            finally:
                state.job = False
            if not state.done:
                _pause("end")
            return result

        return paused

    original_execute, original_commit = db.obj.execute_sql, db.obj.commit

    def execute_sql(sql, params=None, *args, **kwargs):
        cursor = original_execute(sql, params, *args, **kwargs)
        if getattr(state, "job", False) and WRITE.match(sql) and "job_run" not in sql:
            state.wrote = True
            if point == "write" and not state.done:
                state.done = True
                _pause("write")
        return cursor

    def commit(*args, **kwargs):
        result = original_commit(*args, **kwargs)
        if getattr(state, "job", False) and state.wrote and point == "commit" and not state.done:
            state.done = True
            _pause("commit")
        return result

    db.obj.execute_sql, db.obj.commit = execute_sql, commit
    for entry in JOBS.values():
        entry.fn = wrap_job(entry.fn)


if os.environ.get("MINGCRM_FAULT_PAUSE"):
    _hook(os.environ["MINGCRM_FAULT_PAUSE"].split(":", 1)[0])
if os.environ.get("MINGCRM_FAULT_ENQUEUE"):
    _name, _at = os.environ["MINGCRM_FAULT_ENQUEUE"].split("@")
    run_job_later(_name, _at)


def rerun(name: str, now: str) -> None:
    from huey.storage import RedisExpireStorage

    from rules import settings
    from tasks import locks

    when = datetime.fromisoformat(now)
    print("first:", JOBS[name].run(when))
    if isinstance(huey.storage, RedisExpireStorage):
        key = huey.storage.result_key(f"{huey.name}.lock.job:{name}")
        huey.storage.conn.pexpire(key, 1)
        time.sleep(0.05)
    else:
        later = time.time() + settings().tasks.lock_minutes * 60 + 1
        locks.clock = lambda: later
    print("after the lock expired:", JOBS[name].run(when))


def paid_orders(count: int) -> list[int]:
    """`count` more demo orders taken to "paid" by the real roles; all paid order ids."""
    from models import demo_sales
    from models.sales import SalesOrder
    from rules import SYSTEM, acting_as

    with db.connection_context(), acting_as(SYSTEM):
        demo_sales.ORDERS = [("sales1", "paid", [("HP-001", 2), ("HP-005", 1)], "0")] * count
        demo_sales.demo_orders()
        query = SalesOrder.select(SalesOrder.id).where(SalesOrder.status == "paid")
        return sorted(o for (o,) in query.order_by(SalesOrder.id).tuples())


def bulk(marker: str, row: int, ids: list[int]) -> None:
    """The warehouse ships the orders `ids` with the grid's bulk action, through the web app
    (the request a web worker serves); the `row`-th order stops just after its first write,
    inside its transaction, and this process waits there for the test's SIGKILL."""
    import re as regex

    from admin_views import approvals
    from models.demo import DEMO_PASSWORD

    calls = [0]
    original_take, original_execute = approvals.take, db.obj.execute_sql

    def take(record, *args, **kwargs):
        calls[0] += 1
        state.armed = calls[0] == row
        return original_take(record, *args, **kwargs)

    def execute_sql(sql, params=None, *args, **kwargs):
        cursor = original_execute(sql, params, *args, **kwargs)
        if getattr(state, "armed", False) and WRITE.match(sql):
            Path(marker).write_text(f"row {row}")
            time.sleep(3600)
        return cursor

    approvals.take, db.obj.execute_sql = take, execute_sql
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = regex.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    login = {"username": "warehouse", "password": DEMO_PASSWORD, "csrf_token": token}
    assert client.post("/login", data=login).status_code == 302
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    token = regex.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = {"action": "to_shipped", "rowid": [str(i) for i in ids], "csrf_token": token}
    response = client.post("/admin/sales_order/action/", data=data)
    print("the bulk finished unpaused:", response.status_code)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "bulk":  # requests of their own (an outer app context would share `g`)
        bulk(sys.argv[2], int(sys.argv[3]), [int(i) for i in sys.argv[4].split(",")])
    with app.app_context():
        if command == "rerun":
            rerun(sys.argv[2], sys.argv[3])
        elif command == "paid-orders":
            print(" ".join(map(str, paid_orders(int(sys.argv[2])))))

__all__ = ["app", "huey"]
