"""The job queue (huey) and the periodic jobs. Schedules are cron lines from [tasks.schedule].

SqliteHuey on its own file by default, RedisHuey for redis://, in-memory immediate mode in tests.
Each job runs with its own connection, as SYSTEM, under a lock so runs never overlap; the lock
expires by itself, and every run is logged in JobRun.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from huey import Huey, crontab
from huey.exceptions import TaskLockedException
from huey.storage import RedisExpireStorage

from models.db import db, sqlite_path
from models.jobs import JobRun
from rules import SYSTEM, acting_as, settings
from tasks.locks import ExpiringMemoryStorage, ExpiringSqliteStorage

huey = Huey("mingcrm", immediate=True)


def configure_queue(s: Any) -> Huey:
    """Point the shared huey instance at the storage named by [tasks] url."""
    url = s.tasks.url
    huey.name = s.tasks.queue_name
    # Each storage must honour a lock's ttl (see tasks/locks.py).
    if url.startswith("redis://"):
        huey.storage_class, huey.storage_kwargs = RedisExpireStorage, {"url": url}
    elif url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = ExpiringSqliteStorage, {"filename": str(path)}
    else:
        huey.storage_class, huey.storage_kwargs = ExpiringMemoryStorage, {}
    huey._immediate = s.tasks.immediate
    huey.storage = huey.create_storage()
    return huey


def local_now(utc_now: datetime | None = None) -> datetime:
    """The wall clock in the configured time zone (naive), from a naive UTC time."""
    utc_now = utc_now or datetime.now(UTC).replace(tzinfo=None)
    zone = ZoneInfo(settings().app.timezone)
    return utc_now.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def is_due(name: str, utc_now: datetime) -> bool:
    """True when job `name`'s cron line (local time) matches `utc_now`."""
    cron = settings().tasks.schedule.get(name)
    if not cron:
        return False
    minute, hour, day, month, weekday = cron.split()
    return crontab(minute, hour, day, month, weekday)(local_now(utc_now))


@dataclass
class Done:
    """What a run did: a line for the person who ran it, and counts for the job log."""

    summary: str
    counts: dict[str, int | str] = field(default_factory=dict)


@dataclass
class Job:
    """A periodic job: `fn(now)` does the work and says what it did."""

    name: str
    fn: Callable[[datetime], Done]

    def run(self, now: datetime | None = None) -> str:
        """Run once now (or at the given UTC clock), locked, as SYSTEM, on its own connection;
        log the run in JobRun, or log it as skipped when another run holds the lock.

        The lock expires after [tasks] lock_minutes, so a run killed mid-way (its `finally`
        never ran) blocks the job only until then. Raises whatever the job raised."""
        now = now or datetime.now(UTC).replace(tzinfo=None)
        lock = huey.lock_task(f"job:{self.name}", ttl=settings().tasks.lock_minutes * 60)
        with db.connection_context(), acting_as(SYSTEM):
            try:
                lock.acquire()
            except TaskLockedException:
                JobRun.skipped(self.name)
                return f"{self.name}: already running, skipped"
            try:
                return self._logged(now)
            finally:
                lock.release()

    def _logged(self, now: datetime) -> str:
        record = JobRun.begin(self.name)
        try:
            done = self.fn(now)
        except BaseException as exc:
            record.fail(exc)
            raise
        record.finish(done.counts)
        return done.summary


JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Callable[[datetime], Done]], Job]:
    """Register a periodic job; huey runs it whenever its cron line in config matches."""

    def deco(fn: Callable[[datetime], Done]) -> Job:
        entry = JOBS[name] = Job(name, fn)
        huey.periodic_task(lambda dt: is_due(name, dt), name=f"periodic:{name}")(
            lambda: entry.run()
        )
        return entry

    return deco


@huey.task(name="run_job")
def run_job_later(name: str, now_iso: str | None = None) -> str:
    """Queue one job run in the background (the owner's "run now")."""
    return JOBS[name].run(datetime.fromisoformat(now_iso) if now_iso else None)


def make_consumer(workers: int | None = None) -> Any:
    """Build huey's consumer for this process. It does not flush locks: another consumer may
    be running a job right now, and a dead run's lock expires by itself (tasks/locks.py)."""
    return huey.create_consumer(
        workers=workers or settings().tasks.workers,
        worker_type="thread",
        periodic=True,
        flush_locks=False,
    )


def start_consumer(workers: int | None = None) -> Any:
    """Start huey's consumer threads inside this process (used by `make run`)."""
    consumer = make_consumer(workers)
    consumer.start()
    # huey's handlers only act inside Consumer.run(); here the web server owns the main
    # thread, so Ctrl-C and SIGTERM must stop it (and `serve` then stops the consumer).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_term)
    return consumer


def _stop_on_term(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


from tasks import bulk, customers, exports, maintenance  # noqa: E402,F401  (registers the jobs)
