"""Load (issue 11 item 2): a mix of roles working at once over HTTP, on both deployments.

    python bench/load.py [--seconds 30] [--threads 8] [--customers 3000] [--only sqlite|postgresql]

For each deployment it starts its own server on a free loopback port (SQLite: `flask serve`,
the embedded form with its in-process consumer; PostgreSQL + Redis: `python -m tasks.prod`,
gunicorn with two workers and two consumers) on a private database, seeds the demo company
plus --customers customers (raw batched INSERTs: fixture loading), and lets --threads people
(salespeople, a store clerk, the supervisor, finance, the warehouse, the owner) work for
--seconds or --max-requests requests, whichever comes first: lists, searches, inline edits,
customer and order forms, bulk approvals of every step, CSV exports and PDF prints.
A POST's redirect is followed, so a refusal or a failure shown in the next page's message is
seen. Prints per deployment and operation: requests, errors, p50/p95/p99; then ONE JSON line.
`errors_5xx` counts responses >= 500 and server tracebacks; `locked_errors` responses and
server log lines with "database is locked"; both summed over the deployments.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import grid  # noqa: E402
from models.demo import DEMO_PASSWORD  # noqa: E402
from tests.deployment import Browser, Site, running  # noqa: E402

LOCKED = b"database is locked"
PG_URL = os.environ.get("MINGCRM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MINGCRM_TEST_REDIS", "redis://127.0.0.1:6379/15")
# who works, one thread each, in this order (more threads: the list starts again)
PEOPLE = ["sales1", "supervisor", "finance", "warehouse", "owner", "sales2", "store1", "sales1"]


class Tally:
    """Every request's operation, status, seconds and whether it said the database was locked."""

    def __init__(self, max_requests: int, deadline: float) -> None:
        self.rows: list[tuple[str, int, float, bool]] = []
        self.first_error: dict[str, str] = {}  # op -> the first refusal or failure, to read
        self.lock = threading.Lock()
        self.max_requests, self.deadline = max_requests, deadline

    def more(self) -> bool:
        return len(self.rows) < self.max_requests and time.monotonic() < self.deadline

    def add(self, op: str, status: int, seconds: float, body: bytes) -> None:
        with self.lock:
            self.rows.append((op, status, seconds, LOCKED in body))
            if (status >= 400 or "refused" in op) and op not in self.first_error:
                text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode(errors="replace")))
                self.first_error[op] = f"{status} {text.strip()[-300:]}"


class Person:
    """One logged-in person doing their kind of work in a loop."""

    def __init__(self, site: Site, username: str, facts: dict, tally: Tally, seed: int):
        self.site, self.username, self.facts, self.tally = site, username, facts, tally
        self.rng = random.Random(seed)
        self.browser = Browser(site.base, timeout=120)
        self.n = 0

    def timed(self, op: str, method: str, path: str, data=None) -> tuple[int, bytes, dict]:
        start = time.perf_counter()
        try:
            if method == "GET":
                status, body, headers = self.browser.get(path)
            else:
                status, body, headers = self.browser.post(path, data)
        except OSError as exc:  # a timeout or a dropped connection is an error too
            status, body, headers = 599, str(exc).encode(), {}
        if op == "form save" and status == 200:  # the form came back: it was refused
            op = "form save refused"
            errors = re.findall(rb"alert-danger.*?</div>", body, re.S)
            body = b" | ".join(errors) or body
        self.tally.add(op, status, time.perf_counter() - start, body)
        if method == "POST" and status in (302, 303) and headers.get("Location"):
            location = re.sub(r"^https?://[^/]+", "", headers["Location"])
            self.timed("page after " + op, "GET", location)
        return status, body, headers

    def work(self) -> None:
        self.browser.login(self.username, DEMO_PASSWORD)
        menu = MENUS[self.username.rstrip("0123456789")]
        ops, weights = zip(*menu, strict=True)
        while self.tally.more():
            self.rng.choices(ops, weights)[0](self)
            self.n += 1

    # --- what people do -------------------------------------------------------------
    def list_customers(self) -> None:
        self.timed("list", "GET", f"/admin/customer/?page={self.rng.randrange(3)}")

    def search_customers(self) -> None:
        self.timed("search", "GET", f"/admin/customer/?search=1{self.rng.randrange(30, 90)}")

    def list_orders(self) -> None:
        self.timed("list", "GET", "/admin/sales_order/")

    def inline_edit(self) -> None:
        pk = self.rng.choice(self.facts["own"][self.username])
        data = {"list_form_pk": pk, "wechat": f"wx{self.rng.randrange(10**8)}"}
        self.timed("inline edit", "POST", "/admin/customer/ajax/update/", data)

    def new_customer(self) -> None:
        phone = f"147{os.getpid() % 100:02d}{self.rng.randrange(10**6):06d}"
        data = {"name": "负载客户", "phone": phone, "gender": "F", "address": "上海市静安区"}
        self.timed("form save", "POST", "/admin/customer/new/", data)

    def new_order(self) -> None:
        data = {
            "customer": self.rng.choice(self.facts["own"][self.username]),
            "delivery": "pickup",
            "payment_method": "wechat",
            "discount": "0",
            "points_redeemed": "0",
            "lines-0-product": self.rng.choice(self.facts["products"]),
            "lines-0-quantity": "1",
            "lines-0-unit_price": "",
        }
        self.timed("form save", "POST", "/admin/sales_order/new/", data)

    def submit_orders(self) -> None:
        ids = self.facts["drafts"](self.username)
        if ids:
            data = [("action", "submit"), *[("rowid", i) for i in ids]]
            self.timed("bulk approval", "POST", "/admin/sales_order/action/", data)

    def approve(self, step: str) -> None:
        self.timed("bulk approval", "POST", "/admin/sales_order/approve_matching/", {"step": step})

    def export(self, grid_name: str) -> None:
        self.timed("export", "GET", f"/admin/{grid_name}/export/csv/")

    def print_paid(self) -> None:
        ids = self.facts["paid"]()
        if ids:
            data = [("action", "print_payment_receipt"), *[("rowid", i) for i in ids]]
            self.timed("print", "POST", "/admin/sales_order/action/", data)

    def print_cards(self) -> None:
        ids = self.rng.sample(self.facts["all_customers"], 10)
        data = [("action", "print_card"), *[("rowid", i) for i in ids]]
        self.timed("print", "POST", "/admin/customer/action/", data)


MENUS = {
    "sales": [
        (Person.list_customers, 4),
        (Person.search_customers, 4),
        (Person.inline_edit, 3),
        (Person.new_customer, 1),
        (Person.new_order, 3),
        (Person.submit_orders, 1),
        (lambda p: p.export("customer"), 1),
    ],
    "store": [(Person.list_customers, 3), (Person.search_customers, 3), (Person.new_customer, 1)],
    "supervisor": [
        (Person.list_orders, 3),
        (lambda p: p.approve("verified"), 2),
        (lambda p: p.export("sales_order"), 1),
    ],
    "finance": [(Person.list_orders, 3), (lambda p: p.approve("paid"), 2), (Person.print_paid, 1)],
    "warehouse": [(Person.list_orders, 3), (lambda p: p.approve("shipped"), 2)],
    "owner": [
        (Person.list_customers, 2),
        (Person.search_customers, 2),
        (lambda p: p.export("customer"), 1),
        (Person.print_cards, 1),
    ],
}


def prepare(site: Site, customers: int) -> dict:
    """Add the customers (fixture loading) and read the ids the people will need."""
    from app import load
    from models import db
    from models.db import open_database

    settings = load(site.tmp / "config.toml")
    open_database(settings.database.url)
    with db.connection_context():
        staff = dict(db.execute_sql("SELECT username, id FROM staff").fetchall())
        stores = dict(db.execute_sql("SELECT id, store_id FROM staff").fetchall())
    ids = {
        "salesperson": [(staff[u], None) for u in ("sales1", "sales2")],
        "store_staff": [(staff["store1"], stores[staff["store1"]])],
    }
    grid.bulk_customers(customers, random.Random(11), ids, site.kind)
    lock = threading.Lock()  # the bench's own reads share one connection per thread

    def query(sql: str, params: tuple = ()) -> list:
        with lock, db.connection_context():
            return [r[0] for r in db.execute_sql(sql, params).fetchall()]

    mark = "%s" if site.kind == "postgresql" else "?"
    own = {
        u: query(f"SELECT id FROM customer WHERE owner_id = {mark} LIMIT 300", (staff[u],))
        for u in ("sales1", "sales2", "store1")
    }
    return {
        "own": own,
        "products": query("SELECT id FROM product"),
        "all_customers": query("SELECT id FROM customer LIMIT 2000"),
        "drafts": lambda u: query(
            "SELECT id FROM sales_order WHERE status = 'draft' "
            f"AND created_by_id = {mark} ORDER BY id DESC LIMIT 20",
            (staff[u],),
        ),
        "paid": lambda: query("SELECT id FROM sales_order WHERE status = 'paid' LIMIT 5"),
        "orders": lambda: dict(
            db.execute_sql("SELECT status, COUNT(*) FROM sales_order GROUP BY status").fetchall()
        ),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(kind: str, args: argparse.Namespace) -> dict:
    from models import db

    site = Site(kind, PG_URL, REDIS_URL)
    with running(site) as started:
        facts = prepare(started, args.customers)
        tally = Tally(args.max_requests, time.monotonic() + args.seconds)
        people = [
            Person(started, PEOPLE[i % len(PEOPLE)], facts, tally, seed=i)
            for i in range(args.threads)
        ]
        began = time.monotonic()
        threads = [threading.Thread(target=p.work) for p in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 300)
        elapsed = time.monotonic() - began
        log = started.log()
        with db.connection_context():
            print(f"\n{kind}: sales orders by state at the end: {facts['orders']()}")
    for op, text in sorted(tally.first_error.items()):
        print(f"first refusal, {kind} {op}: {text}")
    return report(kind, tally.rows, elapsed, log)


def report(kind: str, rows: list, elapsed: float, log: str) -> dict:
    by_op: dict[str, list] = defaultdict(list)
    for op, status, seconds, locked in rows:
        by_op[op].append((status, seconds, locked))
    print(f"\n== {kind}: {len(rows)} requests in {elapsed:.1f} s = {len(rows) / elapsed:.1f}/s")
    print(
        f"{'operation':<28}{'requests':>9}{'4xx':>6}{'5xx':>6}{'p50 s':>8}{'p95 s':>8}{'p99 s':>8}"
    )
    for op, done in sorted(by_op.items()):
        times = [s for _, s, _ in done]
        c4 = sum(400 <= st < 500 for st, _, _ in done)
        c5 = sum(st >= 500 for st, _, _ in done)
        line = f"{op:<28}{len(done):>9}{c4:>6}{c5:>6}"
        print(line + "".join(f"{percentile(times, p):>8.3f}" for p in (50, 95, 99)))
    times = [s for _, _, s, _ in rows]
    tracebacks = log.count("Traceback (most recent call last)")
    figures = {
        f"{kind}_requests": len(rows),
        f"{kind}_throughput_rps": round(len(rows) / elapsed, 1),
        f"{kind}_p50_s": round(percentile(times, 50), 4),
        f"{kind}_p95_s": round(percentile(times, 95), 4),
        f"{kind}_p99_s": round(percentile(times, 99), 4),
        f"{kind}_errors_4xx": sum(400 <= r[1] < 500 for r in rows),
        f"{kind}_refused_saves": sum("refused" in r[0] for r in rows),
        f"{kind}_errors_5xx": sum(r[1] >= 500 for r in rows) + tracebacks,
        f"{kind}_locked_errors": sum(r[3] for r in rows) + log.count("database is locked"),
    }
    print(
        f"server tracebacks: {tracebacks}; 'database is locked': {figures[f'{kind}_locked_errors']}"
    )
    if tracebacks:
        print(log[log.index("Traceback") :][:3000])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="per deployment")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--max-requests", type=int, default=20000, help="per deployment")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    figures: dict = {}
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            figures.update(run(kind, args))
    kinds = [k for k in ("sqlite", "postgresql") if f"{k}_requests" in figures]
    summary = {
        "errors_5xx": sum(figures[f"{k}_errors_5xx"] for k in kinds),
        "locked_errors": sum(figures[f"{k}_locked_errors"] for k in kinds),
        **figures,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
