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


if __name__ == "__main__":
    assert sys.argv[1] == "rerun", sys.argv
    with app.app_context():
        rerun(sys.argv[2], sys.argv[3])

__all__ = ["app", "huey"]
