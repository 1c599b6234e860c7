"""Start a real deployment for a test or a bench: a private config (own PostgreSQL schema or
SQLite file, own Redis queue name), the server processes, an HTTP client that logs in with
CSRF like a browser, and a teardown that always stops every process and drops what it made."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PY = sys.executable
NEVER = "0 0 31 2 *"  # 31 February: a schedule that never comes
SCHEDULE_NEVER = {"backup_database": NEVER, "reclaim_customers": NEVER, "followup_tasks": NEVER}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configured(values: dict[str, dict[str, str]]) -> str:
    """config.toml's text with `key = value` lines of the given [sections] replaced (or added
    under the section header): the owner's real config, pointed elsewhere."""
    lines, section, todo = [], "", {k: dict(v) for k, v in values.items()}
    for line in (PROJECT / "config.toml").read_text().splitlines():
        header = re.match(r"^\[([\w.]+)\]", line)
        if header:
            lines += [f"{k} = {json.dumps(v)}" for k, v in todo.pop(section, {}).items()]
            section = header.group(1)
        key = re.match(r"^(\w+)\s*=", line)
        if key and key.group(1) in todo.get(section, {}):
            line = f"{key.group(1)} = {json.dumps(todo[section].pop(key.group(1)))}"
        lines.append(line)
    lines += [f"{k} = {json.dumps(v)}" for k, v in todo.pop(section, {}).items()]
    assert not any(todo.values()), f"sections not in config.toml: {todo}"
    return "\n".join(lines) + "\n"


class Site:
    """A configured installation: its config file, env, and database/queue to clean up."""

    def __init__(self, kind: str, pg_url: str | None = None, redis_url: str | None = None):
        self.kind = kind
        self.tmp = Path(tempfile.mkdtemp(prefix=f"mingcrm-{kind}-"))
        self.name = f"mingcrm_deploy_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
        self.pg_url, self.redis_url = pg_url, redis_url
        if kind == "postgresql":
            import psycopg2

            with psycopg2.connect(pg_url) as con, con.cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE; CREATE SCHEMA {self.name}")
            con.close()
            sep = "&" if "?" in pg_url else "?"
            self.db_url = f"{pg_url}{sep}schema={self.name}"
            self.queue_url = redis_url
        else:
            self.db_url = f"sqlite:///{self.tmp}/mingcrm.db"
            self.queue_url = f"sqlite:///{self.tmp}/jobs.db"
        self.schedule = dict(SCHEDULE_NEVER)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "server.log"
        self.proc: subprocess.Popen | None = None

    def write_config(self, schedule: dict[str, str] | None = None) -> None:
        self.schedule.update(schedule or {})
        text = configured(
            {
                "database": {"url": self.db_url},
                "tasks": {"url": self.queue_url, "queue_name": self.name},
                "tasks.schedule": self.schedule,
            }
        )
        (self.tmp / "config.toml").write_text(text)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MINGCRM_CONFIG": str(self.tmp / "config.toml"),
            "MINGCRM_SECRET_KEY": f"test-key-{self.name}",
            "PYTHONUNBUFFERED": "1",
        }

    def flask(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [PY, "-m", "flask", "--app", "app", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def start(self, *server_args: str, timeout: float = 60) -> None:
        """Start the server (prod: python -m tasks.prod; sqlite: flask serve) and wait until it
        answers /login, or fail with its log."""
        if self.kind == "postgresql":
            cmd = [PY, "-m", "tasks.prod", "--bind", f"127.0.0.1:{self.port}", *server_args]
        else:
            cmd = [PY, "-m", "flask", "--app", "app", "serve", "--port", str(self.port)]
        out = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=PROJECT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/login", timeout=5) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise AssertionError(f"the server did not answer in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the server: SIGTERM to the supervisor, then SIGKILL to its whole group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        try:  # the supervisor's children run in their own groups; prctl stops them, but
            os.killpg(self.proc.pid, signal.SIGKILL)  # be sure nothing of ours lingers
        except ProcessLookupError:
            pass
        self.proc = None

    def drop(self) -> None:
        if self.kind == "postgresql":
            import psycopg2
            import redis

            with psycopg2.connect(self.pg_url) as con, con.cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")
            con.close()
            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(f"*{self.name}*", count=1000))
            if keys:
                client.delete(*keys)
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def running(site: Site, *server_args: str, seed: bool = True, schedule=None):
    """The site configured, migrated, seeded with the demo company and serving, for the block;
    stopped and dropped afterwards whatever happened."""
    try:
        site.write_config(schedule)
        site.flask("migrate")
        if seed:
            site.flask("seed-demo")
        site.start(*server_args)
        yield site
    finally:
        site.stop()
        site.drop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies and CSRF token against a running site (urllib, no keep-alive)."""

    def __init__(self, base: str, timeout: float = 60):
        self.base, self.timeout = base, timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        self.csrf = ""

    def request(self, method: str, path: str, data=None, headers=None) -> tuple[int, bytes, dict]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=body, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers or {})

    def get(self, path: str) -> tuple[int, bytes, dict]:
        status, body, headers = self.request("GET", path)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        if token:
            self.csrf = token.group(1).decode()
        return status, body, headers

    def post(self, path: str, data: dict | list) -> tuple[int, bytes, dict]:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if not self.csrf:  # every page has one (the logout form); the login page before login
            self.get("/admin/")
            if not self.csrf:
                self.get("/login")
        return self.request("POST", path, [("csrf_token", self.csrf), *pairs])

    def login(self, username: str, password: str) -> int:
        self.get("/login")
        status, _, _ = self.post("/login", {"username": username, "password": password})
        self.csrf = ""  # the session is renewed at login
        self.get("/admin/")
        return status
