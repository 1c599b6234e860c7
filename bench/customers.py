"""Customers by table size: list pages, the reclaim job and the task job, each next to its floor.

    python bench/customers.py --sizes 10000,1000000 [--db sqlite|postgresql] [--repeat 5]

Seeds and measures pages with bench/grid.py's helpers, adds the ownership clock, and times each
job on the same data every run (snapshot and restore) against one raw statement. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from statistics import median

import psycopg2
from psycopg2.extras import execute_values

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from bench import customer_page, grid, job_floors  # noqa: E402
from models import Customer, db  # noqa: E402
from models.audit import utcnow  # noqa: E402
from models.migrations import migrate  # noqa: E402
from rules import settings  # noqa: E402
from rules.followups import REASON_PRIORITY  # noqa: E402
from rules.ownership import due_for_reclaim  # noqa: E402
from tasks import JOBS, local_now  # noqa: E402

CLOCK = ("owner_since", "clock_start", "last_followup_at", "last_deal_at", "next_followup_on")
CLOCK += ("estimated_end_on", "previous_owner_id", "released_at", "warned_clock")
SAVED = {  # what the jobs may change in existing rows
    "customer": ("owner_id", "previous_owner_id", "released_at", "owner_since", "clock_start")
    + ("warned_clock", "version", "updated_at"),
    "follow_up_task": ("status", "done_at", "assignee_id", "version", "updated_at"),
}
LOGS = ("audit_log", "ownership_change", "notification", "follow_up_task")
JOB_KEYS = {"reclaim_customers": ("reclaim", "raw_update")}  # job: its JSON key names
JOB_KEYS["followup_tasks"] = ("tasks", "raw_tasks_insert")
OVERDUE, EXEMPT, LAPSING, DUE = 0.042, 0.1, 0.02, 0.01  # shares of owned customers
DEEP = 35_000  # the deep page's offset (a salesperson owns about 35,000 of 1M customers)


def pg_admin(url: str, sql: str, schema: str | None = None) -> None:
    """Run `sql` on its own autocommit connection (CREATE SCHEMA, VACUUM)."""
    con = psycopg2.connect(url, options=f"-c search_path={schema}" if schema else None)
    con.autocommit = True
    con.cursor().execute(sql)
    con.close()


@contextmanager
def fresh_app(kind: str, pg_url: str):
    """A migrated app on an empty SQLite file or a throw-away `?schema=`; removed afterwards."""
    tmp = tempfile.mkdtemp(prefix="mingcrm-bench-")
    schema = f"bench_customers_{os.getpid()}"
    url = f"sqlite:///{tmp}/bench.db"
    try:
        if kind == "postgresql":
            pg_admin(pg_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
            url = f"{pg_url}?schema={schema}"
        app = create_app(
            overrides={"database": {"url": url}, "tasks": {"url": "memory://", "immediate": True}}
        )
        app.config.update(TESTING=True)
        with db.connection_context():
            migrate()
        yield app, schema
    finally:
        if kind == "postgresql":
            if hasattr(db.obj, "close_all"):
                db.obj.close_all()
            pg_admin(pg_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(tmp, ignore_errors=True)


def clock_values(rng: random.Random, owner, level: str, now: datetime, sales: list) -> tuple:
    """The CLOCK columns of one customer at the bench clock `now`."""

    def ago(low: float, high: float) -> datetime:
        return now - timedelta(days=rng.uniform(low, high))

    if owner is None:  # half the pool was released by someone
        if rng.random() < 0.5:
            return (None,) * len(CLOCK)
        return (*(None,) * 6, rng.choice(sales), str(ago(1, 300)), None)
    limit, roll = settings().customers.reclaim_days(level), rng.random()
    if roll < OVERDUE:
        clock = ago(limit + 0.01, limit + 60)
    elif roll < OVERDUE + LAPSING:  # due a follow-up; some in the warning window
        clock = ago(settings().customers.followup_interval_days, limit)
    else:
        clock = ago(0, 13)
    since = clock - timedelta(days=rng.uniform(0, 300))
    deal = str(ago(1, 80)) if roll < OVERDUE * EXEMPT else None  # bought recently: exempt
    today = local_now(now).date()  # the task job's "today"
    upcoming = today + timedelta(
        days=rng.randrange(-3, 1) if rng.random() < DUE else rng.randrange(1, 31)
    )
    ending = str(today + timedelta(days=rng.randrange(3, 60))) if rng.random() < 0.1 else None
    return (str(since), str(clock), str(clock), deal, str(upcoming), ending, None, None, None)


def seed_customers(size: int, rng: random.Random, ids: dict, kind: str, now: datetime) -> None:
    """Fixture loading (raw batched INSERTs), open tasks for most incomplete ones, ANALYZE."""
    columns = (*grid.COLUMNS, *CLOCK)
    stored = {f.column_name for f in Customer._meta.sorted_fields} - {"id"}
    assert stored == set(columns), f"Customer columns changed: {sorted(stored ^ set(columns))}"
    who, level = grid.COLUMNS.index("owner_id"), grid.COLUMNS.index("level")
    sales = [person for person, _store in ids["salesperson"]]
    rows = (
        (*row, *clock_values(rng, row[who], row[level], now, sales))
        for row in grid.customer_rows(size, rng, ids)
    )
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    with db.connection_context():
        while batch := list(islice(rows, grid.BATCH)):
            with db.atomic():
                if kind == "postgresql":
                    execute_values(db.cursor(), f"INSERT INTO customer ({names}) VALUES %s", batch)
                else:
                    db.cursor().executemany(
                        f"INSERT INTO customer ({names}) VALUES ({marks})", batch
                    )
        with db.atomic():  # yesterday's run left a task for 49 in 50 incomplete owned customers
            db.execute_sql(
                "INSERT INTO follow_up_task (customer_id, assignee_id, reason, due_on, priority,"
                " status, created_at, updated_at, version) SELECT id, owner_id, 'incomplete',"
                f" '{now.date() - timedelta(days=1)}', 10, 'open', '{now}', '{now}', 1"
                " FROM customer WHERE owner_id IS NOT NULL AND incomplete = TRUE"
                " AND id / 50 * 50 <> id"
            )
        if kind == "sqlite":
            db.execute_sql("ANALYZE")


def snapshot(now: datetime) -> dict:
    """Copy every row either job may change (bench_<table>); return each log table's last id."""
    fields = [Customer._meta.columns[c] for c in ("id", *SAVED["customer"])]
    soon = due_for_reclaim(Customer, now, within_days=settings().customers.warn_days_before)
    with db.connection_context():
        sql, params = Customer.select(*fields).where(soon).sql()
        db.execute_sql(f"CREATE TABLE bench_customer AS {sql}", params)
        db.execute_sql(
            f"CREATE TABLE bench_follow_up_task AS SELECT id, {', '.join(SAVED['follow_up_task'])}"
            " FROM follow_up_task WHERE customer_id IN (SELECT id FROM bench_customer)"
        )
        return {
            t: db.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0] for t in LOGS
        }


def restore(marks: dict) -> None:
    """Put the copied rows back and delete the rows a run added."""
    with db.connection_context(), db.atomic():
        for table, mark in marks.items():
            db.execute_sql(f"DELETE FROM {table} WHERE id > {mark}")
        for table, columns in SAVED.items():
            sets = ", ".join(f"{c} = s.{c}" for c in columns)
            db.execute_sql(
                f"UPDATE {table} SET {sets} FROM bench_{table} s WHERE {table}.id = s.id"
            )


def raw_reclaim(now: datetime) -> str:
    """The floor of the reclaim job: one UPDATE of the same rows, hand-written."""
    return (
        f"UPDATE customer SET owner_id = NULL, previous_owner_id = owner_id, released_at = '{now}',"
        " owner_since = NULL, clock_start = NULL, warned_clock = NULL, version = version + 1,"
        f" updated_at = '{now}' WHERE {job_floors.due_sql(now)}"
    )


def raw_tasks(now: datetime) -> str:
    """The floor of the task job: one INSERT..SELECT, most urgent reason first."""
    cfg, today = settings().customers, local_now(now).date()
    stale = datetime.combine(
        today - timedelta(days=cfg.followup_interval_days), datetime.max.time()
    )
    rules = [
        ("ending_soon", f"estimated_end_on <= '{today + timedelta(cfg.ending_soon_days)}'"),
        ("next_date", f"next_followup_on <= '{today}'"),
        ("interval", f"COALESCE(last_followup_at, owner_since) <= '{stale}'"),
        ("incomplete", "incomplete = TRUE"),
    ]
    reason = " ".join(f"WHEN {cond} THEN '{name}'" for name, cond in rules)
    due = f"WHEN {rules[0][1]} THEN estimated_end_on WHEN {rules[1][1]} THEN next_followup_on"
    rank = " ".join(f"WHEN {cond} THEN {REASON_PRIORITY[name]}" for name, cond in rules)
    return (
        "INSERT INTO follow_up_task (customer_id, assignee_id, reason, due_on, priority, status,"
        f" created_at, updated_at, version) SELECT c.id, c.owner_id, CASE {reason} END,"
        f" CASE {due} ELSE '{today}' END, CASE {rank} END, 'open', '{now}', '{now}', 1"
        f" FROM customer c WHERE c.owner_id IS NOT NULL AND ({' OR '.join(c for _, c in rules)})"
        " AND NOT EXISTS (SELECT 1 FROM follow_up_task t"
        " WHERE t.customer_id = c.id AND t.status = 'open')"
    )


def measure_job(name: str, floor: str, full: list, now: datetime, marks: dict, repeat: int) -> dict:
    """Median of job runs, raw-floor runs and full-floor runs (every row the job writes, by
    hand: bench/job_floors.py), alternated, each on the restored data."""
    runs, raws, fulls, summaries = [], [], [], []
    for _ in range(repeat + 1):  # the first round warms up
        restore(marks)
        with db.connection_context():
            start = time.perf_counter()
            with db.atomic():
                rows = db.execute_sql(floor).rowcount
            raws.append((time.perf_counter() - start, rows))
        restore(marks)
        fulls.append(job_floors.run(full))
        by_hand = job_floors.added(marks)
        restore(marks)
        with grid.spy_queries() as log:
            start = time.perf_counter()
            summary = JOBS[name].run(now)
            summaries.append(summary)
            runs.append((time.perf_counter() - start, sum(s for _sql, _p, s in log)))
        by_job = job_floors.added(marks)
        assert by_hand == by_job, f"{name}: the job added {by_job}, the full floor {by_hand}"
    restore(marks)
    assert len(set(summaries)) == 1, f"{name}: runs differ: {summaries}"
    made = sum(int(n) for n in re.findall(r"(\d+) ", summary.split(":", 1)[1].split("(")[0]))
    moved = int(re.search(r": (\d+)", summary).group(1))
    assert moved == rows, f"{name}: the job wrote {moved} rows, the floor {rows}: {summary}"
    return {
        "s": median(t for t, _ in runs[1:]), "sql_s": median(s for _, s in runs[1:]),
        "raw_s": median(t for t, _ in raws[1:]), "queries": len(log), "rows": rows,
        "full_s": median(fulls[1:]), "added": by_job,
        "summary": summary, "made": made, "log": log,
    }  # fmt: skip


PICKER_PREFIX, PICKER_LIMIT = grid.SEARCH[:4], 20  # the first 4 digits of a phone; one page
FORM_RUNS = 25  # at least: these requests take milliseconds, so a median of more runs is steadier


def order_form_case(client: grid.Client, repeat: int) -> dict:
    """The owner's empty sales-order form (customer and product by type-ahead, item 14).
    Floor: the statements the request sent, replayed on a fresh connection."""
    found = grid.measure_app(client, "/admin/sales_order/new/", max(repeat, FORM_RUNS))
    html = client.get("/admin/sales_order/new/").get_data(as_text=True)
    assert 'data-role="select2-ajax"' in html and html.count("<option") < 30, "a listed picker"
    replay = [(sql, list(params)) for sql, params, _s in found["log"]]
    found["raw_s"], found["raw_rows"] = grid.measure_raw(replay, repeat)
    return found


def home_case(client: grid.Client, repeat: int) -> dict:
    """A home page (issue 9 item 7): its numbers, sales and recent activity. Floor: the
    statements the request sent, replayed on a fresh connection (the same rows)."""
    found = grid.measure_app(client, "/admin/", max(repeat, FORM_RUNS))
    assert 'data-testid="numbers"' in client.get("/admin/").get_data(as_text=True), "home"
    replay = [(sql, list(params)) for sql, params, _s in found["log"]]
    found["raw_s"], found["raw_rows"] = grid.measure_raw(replay, repeat)
    return found


def picker_search_case(client: grid.Client, repeat: int) -> dict:
    """The owner's customer type-ahead: the first 4 digits of a phone, the first 20 matches in
    phone order. Floor: the same rows by hand (owned customers, phone range, LIMIT 20)."""
    url = "/admin/sales_order/ajax/lookup/?name=customer"
    url += f"&query={PICKER_PREFIX}&limit={PICKER_LIMIT}"
    found = grid.measure_app(client, url, max(repeat, FORM_RUNS))
    got = [row[0] for row in json.loads(client.get(url).get_data())]
    mark, upper = db.obj.param, PICKER_PREFIX[:-1] + chr(ord(PICKER_PREFIX[-1]) + 1)
    sql = (
        "SELECT c.id, c.name, c.phone FROM customer c WHERE c.owner_id IS NOT NULL"
        f" AND c.phone >= {mark} AND c.phone < {mark} ORDER BY c.phone, c.id LIMIT {PICKER_LIMIT}"
    )
    with db.connection_context():
        same = [row[0] for row in db.execute_sql(sql, (PICKER_PREFIX, upper))]
    assert got == same and len(got) == PICKER_LIMIT, f"picker: app {got}, floor {same}"
    found["raw_s"], found["raw_rows"] = grid.measure_raw([(sql, [PICKER_PREFIX, upper])], repeat)
    return found


def picker_figures(figures: dict, base: str, top: str) -> None:
    """Item 14's keys: the form and the type-ahead at the largest size over the smallest."""
    for key, name in (("order_form", "order_form_owner"), ("picker_search", "picker_search_owner")):
        ratio = figures[f"{name}_{top}_s"] / figures[f"{name}_{base}_s"]
        figures[f"{key}_{top}_over_{base}"] = round(ratio, 2)


def deep_page(first: tuple) -> tuple:
    """The salesperson's page at offset DEEP, or their last page when they own fewer."""
    _name, who, url, where, params, order, limit = first
    sql = f"SELECT COUNT(*) FROM customer c WHERE {' AND '.join(where)}"
    with db.connection_context():
        owned = db.execute_sql(sql, params).fetchone()[0]
    page = min(DEEP, max(owned - 1, 0)) // limit
    return ("sales_deep_page", who, f"{url}?page={page}", where, params, order, limit)


def last4_case(first: tuple) -> tuple:
    """The salesperson searches the last 4 digits (尾号) of their newest customer's number.
    The app matches a 4-digit term as the last 4 digits or as the first 4 (rules/search.py):
    the floor asks the same, with the literal `substr(c.phone, 8)` its index answers."""
    _name, who, url, where, params, order, limit = first
    sql = f"SELECT c.phone FROM customer c WHERE {' AND '.join(where)} ORDER BY {order} LIMIT 1"
    with db.connection_context():
        tail = db.execute_sql(sql, params).fetchone()[0][-4:]
    mark, upper = db.obj.param, tail[:-1] + chr(ord(tail[-1]) + 1)
    term = f"(substr(c.phone, 8) = {mark} OR (c.phone >= {mark} AND c.phone < {mark}))"
    params = [*params, tail, tail, upper]
    return ("last4_search", who, f"{url}?search={tail}", [*where, term], params, order, limit)


def run_size(size: int, args: argparse.Namespace) -> tuple[float, dict]:
    """Seed one fresh database of `size` customers; measure the pages and the jobs."""
    rng, now = random.Random(size), utcnow().replace(microsecond=0)
    with fresh_app(args.db, args.pg_url) as (app, schema):
        start = time.perf_counter()
        ids = grid.seed_people(rng)
        seed_customers(size, rng, ids, args.db, now)
        busy = customer_page.seed(size, rng, args.db, ids["salesperson"][0][0])
        if args.db == "postgresql":  # VACUUM too: a settled visibility map, not autovacuum's
            pg_admin(args.pg_url, "VACUUM ANALYZE", schema)
        seeded = time.perf_counter() - start
        clients = {who: grid.Client(app.test_client()) for who in ("", "_owner")}
        for who, username in (("", "sales00"), ("_owner", "owner")):
            assert clients[who].login(username).status_code == 302, f"login {username}"
        html = clients[""].get("/admin/customer/").get_data(as_text=True)
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "customer")
        results, sales_id = {}, ids["salesperson"][0][0]
        pages = [c for c in grid.cases(html, view, sales_id) if c[0] != "export"]
        pages += [deep_page(pages[0]), last4_case(pages[0])]
        if args.only == "search":  # the salesperson's page and searches only
            pages = [c for c in pages if c[0] in ("page", "phone_search", "last4_search")]
        for name, who, url, where, params, order, limit in pages:
            offset = int(url.rsplit("=", 1)[1]) * limit if name == "sales_deep_page" else 0
            found = grid.measure_app(clients[who], url, args.repeat)
            found["raw_s"], found["raw_rows"] = grid.measure_floor(
                where, params, order, limit, args, offset, log=found["log"]
            )  # the app's WHERE, joins and columns by hand: the same rows
            grid.same_rows(name, found)
            results[name] = found
            if args.explain:
                grid.explain(f"{name} @ {grid.label(size)}", found["log"])
        if args.only == "search":
            return seeded, results
        results["order_form_owner"] = order_form_case(clients["_owner"], args.repeat)
        results["picker_search_owner"] = picker_search_case(clients["_owner"], args.repeat)
        results["home"] = home_case(clients[""], args.repeat)
        results["home_owner"] = home_case(clients["_owner"], args.repeat)
        results["customer_page"] = customer_page.case(clients[""], busy, args.repeat)
        marks = snapshot(now)
        fulls = (job_floors.reclaim_full(now), job_floors.tasks_full(raw_tasks(now), marks, now))
        floors = zip(JOB_KEYS, (raw_reclaim, raw_tasks), fulls, strict=True)
        for name, floor, full in floors:
            results[name] = measure_job(name, floor(now), full, now, marks, args.repeat)
            if args.explain:
                grid.explain(f"{name} @ {grid.label(size)}", results[name]["log"])
    return seeded, results


def report(size: int, seeded: float, results: dict, figures: dict) -> None:
    """Print one size's table and add its figures to `figures`."""
    tag = grid.label(size)
    print(f"\n== {tag} customers: seeded in {seeded:.1f} s ==")
    print(f"{'case':<19}{'app ms':>10}{'sql ms':>9}{'queries':>8}{'raw ms':>9}{'app/raw':>8}  rows")
    figures[f"seed_{tag}_s"] = round(seeded, 3)
    for name, r in results.items():
        ratio, rows = r["s"] / r["raw_s"], r.get("raw_rows", r["rows"])
        print(
            f"{name:<19}{r['s'] * 1000:>10.2f}{r['sql_s'] * 1000:>9.2f}{r['queries']:>8}"
            f"{r['raw_s'] * 1000:>9.2f}{ratio:>8.1f}  {rows}  {r.get('summary', '')}"
        )
        short, raw = JOB_KEYS.get(name, (name, f"raw_{name}"))
        figures[f"{short}_{tag}_s"] = round(r["s"], 6)
        figures[f"{short}_{tag}_sql_s"] = round(r["sql_s"], 6)
        figures[f"{short}_{tag}_queries"] = r["queries"]
        figures[f"{raw}_{tag}_s"] = round(r["raw_s"], 6)
        if name in JOB_KEYS:  # and against the floor that writes the job's every row by hand
            figures[f"{short}_{tag}_over_{raw}"] = round(ratio, 2)
            figures[f"{raw}_full_{tag}_s"] = round(r["full_s"], 6)
            figures[f"{short}_{tag}_over_{raw}_full"] = round(r["s"] / r["full_s"], 2)
            figures[f"{short}_{tag}_rows"] = rows
        else:
            figures[f"{name}_over_raw_{tag}"] = round(ratio, 2)
    if "reclaim_customers" in results:
        made = results["reclaim_customers"]["made"]
        figures[f"warned_{tag}"] = made - figures[f"reclaim_{tag}_rows"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="customer counts, comma-separated")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=grid.PG_URL, help="PostgreSQL server (own schema used)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--explain", action="store_true", help="print each query and its plan")
    parser.add_argument(
        "--only", choices=("all", "search"), default="all", help="search: page, phone, last 4"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    figures: dict = {"db": args.db, "repeat": args.repeat}
    names: list[str] = []
    for size in sizes:
        seeded, results = run_size(size, args)
        report(size, seeded, results, figures)
        names = [n for n in results if n not in JOB_KEYS]
    grid.growth(sizes, names, figures)
    base, top = grid.label(sizes[0]), grid.label(sizes[-1])
    last4 = figures[f"last4_search_{top}_s"] / figures[f"page_{base}_s"]  # issue 9 item 2
    figures[f"last4_search_{top}_over_page_{base}"] = round(last4, 2)
    if args.only == "all":
        for kind in ("page", "phone_search"):
            ratio = figures[f"{kind}_owner_{top}_s"] / figures[f"page_owner_{base}_s"]
            figures[f"{kind}_{top}_over_page_{base}_owner"] = round(ratio, 2)
        picker_figures(figures, base, top)
        for who in ("", "_owner"):  # a salesperson's and the owner's home page
            ratio = figures[f"home{who}_{top}_s"] / figures[f"home{who}_{base}_s"]
            figures[f"home{who}_{top}_over_{base}"] = round(ratio, 2)
        deep = figures[f"sales_deep_page_{top}_s"] / figures[f"sales_deep_page_{base}_s"]
        figures[f"sales_deep_page_{top}_over_{base}"] = round(deep, 2)
        page = figures[f"customer_page_{top}_s"] / figures[f"customer_page_{base}_s"]
        figures[f"customer_page_{top}_over_{base}"] = round(page, 2)  # issue 9 item 1: below 2
    figures["load_average"] = round(os.getloadavg()[0], 2)  # others' work skews wall-clock figures
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
