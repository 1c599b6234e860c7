"""The scale-out deployment in one command (issue 11): `python -m tasks.prod` (`make serve-prod`).

Checks that the config names PostgreSQL and Redis, upgrades the schema once, then starts
  - gunicorn with --web-workers processes (each with --threads threads),
  - a huey consumer that also enqueues the periodic jobs,
  - a second huey consumer started with --no-periodic, so each periodic job runs once per slot,
all sharing the database and the queue named in the config ($MINGCRM_CONFIG or config.toml).
SIGINT/SIGTERM stop every process gracefully; when any of them dies the others are stopped too
(a half-running installation is worse than a stopped one) and this exits non-zero.
"""

from __future__ import annotations

import argparse
import ctypes
import signal
import subprocess
import sys
import time
from pathlib import Path

from rules.config import PROJECT_DIR

BIN = Path(sys.executable).parent
GRACE_SECONDS = 30
# gunicorn's access log with the worker's pid (%(p)s): which process served which request.
ACCESS_FORMAT = '%(h)s %(p)s "%(r)s" %(s)s %(b)s %(M)sms'


def commands(bind: str, web_workers: int, threads: int, job_workers: int) -> dict[str, list]:
    """The processes to start, by name."""
    web = [
        *(str(BIN / "gunicorn"), "--workers", str(web_workers), "--worker-class", "gthread"),
        *("--threads", str(threads), "--bind", bind, "--timeout", "120"),
        *("--graceful-timeout", "20", "--no-control-socket", "--access-logfile", "-"),
        *("--access-logformat", ACCESS_FORMAT, "app:create_app()"),
    ]
    jobs = [str(BIN / "huey_consumer"), "tasks.consumer.huey", "-k", "thread"]
    jobs += ["-w", str(job_workers), "--shutdown-timeout", "20"]
    return {"web": web, "jobs-periodic": jobs, "jobs": [*jobs, "--no-periodic"]}


def prepare() -> None:
    """Refuse a config that cannot be shared by processes; migrate; make the session key."""
    from app import _secret_key, load
    from models.db import db, open_database
    from models.migrations import migrate

    settings = load()
    problems = []
    if not settings.database.url.startswith("postgresql://"):
        problems.append("[database] url must be postgresql://... for several processes")
    if not settings.tasks.url.startswith("redis://"):
        problems.append("[tasks] url must be redis://... for several processes")
    if problems:
        sys.exit("serve-prod: " + "; ".join(problems))
    open_database(settings.database.url)
    with db.connection_context():
        migrate()  # once, here, before any worker could race another on it
    db.close_all()
    _secret_key()  # created once here, read by every worker


def _die_with_parent() -> None:
    """In the child: get SIGTERM if this supervisor dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def supervise(procs: dict[str, subprocess.Popen]) -> int:
    """Wait until a signal arrives or a process exits; then stop all; return the exit code."""
    reason: list[str] = []

    def on_signal(signum: int, frame: object) -> None:
        reason.append(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    while not reason:
        dead = [(name, p.returncode) for name, p in procs.items() if p.poll() is not None]
        if dead:
            name, rc = dead[0]
            reason.append(f"{name} exited with {rc}")
            code = rc or 1
        time.sleep(0.2)
    log(f"stopping ({reason[0]})")
    for name, p in procs.items():
        if p.poll() is None:  # gunicorn stops gracefully on TERM, huey on INT
            p.send_signal(signal.SIGTERM if name == "web" else signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    while any(p.poll() is None for p in procs.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for name, p in procs.items():
        if p.poll() is None:
            log(f"{name} did not stop in {GRACE_SECONDS} s: killed")
            p.kill()
            p.wait()
    return code


def log(message: str) -> None:
    print(f"serve-prod: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tasks.prod", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port for the web")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (2+)")
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--job-workers", type=int, default=2, help="threads per job consumer")
    args = parser.parse_args(argv)
    if args.web_workers < 2:
        parser.error("--web-workers must be 2 or more")
    prepare()
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, cmd in commands(
            args.bind, args.web_workers, args.threads, args.job_workers
        ).items():
            # own process group: a Ctrl-C in the terminal reaches only this supervisor,
            # which stops each process once, the way that process expects
            procs[name] = subprocess.Popen(
                cmd, cwd=PROJECT_DIR, start_new_session=True, preexec_fn=_die_with_parent
            )
            log(f"started {name} (pid {procs[name].pid}): {' '.join(cmd[1:3])} ...")
    except BaseException:
        for p in procs.values():
            p.kill()
        raise
    log(f"MingCRM on http://{args.bind}/ ; Ctrl-C stops everything")
    return supervise(procs)


if __name__ == "__main__":
    sys.exit(main())
