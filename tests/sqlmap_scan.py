"""`make sqlmap` (issue 11 item 4), outside the CI run: sqlmap against a local MingCRM.

    python -m tests.sqlmap_scan [--sqlmap .venv-tools/bin/sqlmap] [--level 2] [--risk 1]

Starts `flask serve` on a free loopback port with a private SQLite database and the demo
company, logs in as the demo owner and as a salesperson, and runs sqlmap on a few
grids with that session cookie against the GET parameters people type or click: `search`, the
filters (`flt0_0`, `flt1_…`) and `sort`. Every request stays on 127.0.0.1. Prints the command
and sqlmap's verdict per grid, and ends with one JSON line; exits non-zero if sqlmap reports
an injectable parameter.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRIDS = [
    ("customer", "search=13&flt0_0=1&sort=0"),
    ("sales_order", "search=0001&flt0_0=draft&sort=0"),
    ("follow_up", "search=1&sort=1"),
    ("stock_move", "search=in&sort=0"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    config = tmp / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^url = "sqlite:[^"]*"', f'url = "sqlite:///{tmp}/scan.db"', text, count=1)
    config.write_text(text, encoding="utf-8")
    env["MINGCRM_CONFIG"] = str(config)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for cmd in (["migrate"], ["seed-demo"]):
        subprocess.run([*flask, *cmd], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [*flask, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the app did not start")


def login(base: str, username: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"username": username, "password": password, "csrf_token": token}
    landed = opener.open(f"{base}/login", urllib.parse.urlencode(form).encode())
    if landed.url.endswith("/login"):  # a scan behind the login page would prove nothing
        raise SystemExit(f"login as {username} failed")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def reaches(url: str, cookie: str) -> bool:
    """True when the grid answers 200 to this session (not the login page, not 403)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        response = urllib.request.urlopen(request)
    except urllib.error.HTTPError:
        return False
    return response.status == 200 and not response.url.endswith("/login")


def scan(sqlmap: str, url: str, cookie: str, args, out: Path) -> tuple[list[str], str]:
    params = ",".join(k for k, _ in urllib.parse.parse_qsl(url.split("?")[1]))
    cmd = [
        sqlmap, "-u", url, "--cookie", cookie, "--batch", f"--level={args.level}",
        f"--risk={args.risk}", "-p", params,
        "--skip-waf", "--threads=2", "--timeout=10", "--retries=1", f"--output-dir={out}",
        "--disable-coloring", "--flush-session",
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    verdict = [
        line.split("] ", 1)[-1]
        for line in run.stdout.splitlines()
        if "injectable" in line or "appear" in line or "CRITICAL" in line
    ]
    return cmd, "\n".join(dict.fromkeys(verdict)) or run.stdout[-400:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlmap", default=str(ROOT / ".venv-tools" / "bin" / "sqlmap"))
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--risk", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per grid")
    args = parser.parse_args()
    from models.demo import DEMO_PASSWORD

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start(Path(tmp), port)
        base = f"http://127.0.0.1:{port}"
        injectable, results = [], {}
        try:
            for username in ("owner", "sales1"):
                cookie = login(base, username, DEMO_PASSWORD)
                for grid, query in GRIDS:
                    url = f"{base}/admin/{grid}/?{query}"
                    if not reaches(url, cookie):
                        print(f"{username} may not open {grid}: skipped\n")
                        continue
                    cmd, verdict = scan(args.sqlmap, url, cookie, args, Path(tmp) / "out")
                    shown = " ".join(c if c != cookie else "'session=…'" for c in cmd)
                    print(f"$ {shown}\n{verdict}\n", flush=True)
                    results[f"{username}:{grid}"] = verdict.splitlines()[-1:] or [""]
                    if re.search(r"is vulnerable|appears to be .*injectable", verdict):
                        injectable.append(f"{username}:{grid}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(json.dumps({"grids_scanned": len(results), "injectable": injectable}))
    return 1 if injectable else 0


if __name__ == "__main__":
    raise SystemExit(main())
