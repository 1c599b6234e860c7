"""Customer grid benchmark: list page, phone search, filter + sort and CSV export by table size.

The owner's whole-table export is also streamed against the driver writing the same CSV rows
(bench/export_floor.py): export_<size>_over_raw_floor, export_<size>_peak_mib.

    python bench/grid.py --sizes 10000,100000,1000000 [--db sqlite|postgresql] [--repeat 5]

Each size gets a fresh database with bulk-loaded customers. Every figure is the median of
--repeat runs after one warm-up, next to its raw-SQL floor measured in the same run. Prints a
table, then ONE line of JSON (seconds as floats, ratios as plain numbers).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from statistics import median

from psycopg2.extras import execute_values

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import grid_bulk_edit  # noqa: E402  (bench/, next to this script)
import grid_custom_field  # noqa: E402

import rules  # noqa: E402
from app import create_app  # noqa: E402
from bench import export_floor  # noqa: E402
from models import Customer, Location, Staff, db  # noqa: E402
from models.audit import utcnow  # noqa: E402
from models.demo import GIVEN, STREETS, SURNAMES  # noqa: E402
from models.migrations import migrate  # noqa: E402
from tests.conftest import PASSWORD, Client  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SALESPEOPLE, STORES, BATCH = 20, 4, 20_000
PREFIXES = [f"{head}{d}" for head in ("13", "15", "18") for d in range(10)]
SEARCH = "139123"
COLUMNS = ("version", "created_at", "updated_at", "name", "phone", "gender", "birthday", "wechat")
COLUMNS += ("address", "level", "owner_id", "salesperson_id", "store_id", "incomplete", "notes")
# The grid joins each shown foreign key for its label only (models' label_fields).
LABELS = ", ".join(
    f"{alias}.{column}"
    for alias, model in (("o", Staff), ("s", Staff), ("l", Location))
    for column in ("id", *model.label_fields)
)
JOINED = (
    f'SELECT c.*, {{days_left}}{LABELS} FROM "customer" c'
    ' LEFT JOIN "staff" o ON c.owner_id = o.id LEFT JOIN "staff" s ON c.salesperson_id = s.id'
    ' LEFT JOIN "location" l ON c.store_id = l.id'
)


def label(n: int) -> str:
    """10000 -> '10k', 1000000 -> '1m' (the JSON key suffix)."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


@contextmanager
def fresh_app(kind: str, pg_url: str):
    """A migrated app on an empty database; the database is removed afterwards."""
    tmp = tempfile.mkdtemp(prefix="mingcrm-bench-")
    schema = f"bench_grid_{Path(tmp).name.split('-')[-1].lower()}"
    url = f"sqlite:///{tmp}/bench.db" if kind == "sqlite" else pg_url
    app = create_app(
        overrides={
            "database": {"url": url},
            "tasks": {"url": "memory://", "immediate": True},
            # the streamed export is what is measured (the export job writes through the same
            # row path): a 1M-row export must not turn into the job's offer page
            "exports": {"job_rows": 100_000_000},
        }
    )
    app.config.update(TESTING=True)
    if kind == "postgresql":  # its own schema, so a concurrent test run is never touched
        db.obj.close_all()  # create_app pooled a connection on the default search_path
        db.obj.connect_params["options"] = f"-c search_path={schema}"
        with db.connection_context():
            db.execute_sql(f'CREATE SCHEMA "{schema}"')
    try:
        with db.connection_context():
            migrate()
        yield app
    finally:
        if kind == "postgresql":
            with db.connection_context():
                db.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            db.obj.close_all()
        shutil.rmtree(tmp, ignore_errors=True)


def seed_people(rng: random.Random) -> dict:
    """Stores and staff through the governed save(); returns their ids."""
    with db.connection_context(), rules.acting_as(rules.SYSTEM):
        stores = [Location(code=f"S{i}", name=f"{STREETS[i][3:]}店") for i in range(STORES)]
        for store in stores:
            store.save()
        people = [("owner", "owner", None)]
        people += [(f"sales{i:02d}", "salesperson", None) for i in range(SALESPEOPLE)]
        people += [(f"store{i:02d}", "store_staff", s) for i, s in enumerate(stores)]
        ids: dict[str, list] = {"salesperson": [], "store_staff": []}
        for username, role, store in people:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            person = Staff(username=username, display_name=name, roles=role, store=store)
            if username in ("owner", "sales00"):
                person.set_password(PASSWORD)
            person.save()
            if role != "owner":
                ids[role].append((person.id, store.id if store else None))
    return ids


def customer_rows(size: int, rng: random.Random, ids: dict):
    """Customers in created_at order over two years: 20% pool, 10% store, rest salespeople."""
    phones = rng.sample(range(len(PREFIXES) * 10**8), size)
    start, step = utcnow() - timedelta(days=730), 730 * 86400 / size
    for i, number in enumerate(phones):
        created = str(start + timedelta(seconds=int((i + rng.random()) * step)))
        roll = rng.random()
        if roll < 0.2:
            owner = seller = store = None
        elif roll < 0.3:
            (owner, store), seller = rng.choice(ids["store_staff"]), None
        else:
            owner, store = rng.choice(ids["salesperson"])
            seller = owner
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        birthday = str(born) if rng.random() < 0.8 else None
        wechat = f"wx{number:x}" if rng.random() < 0.7 else None
        phone = f"{PREFIXES[number // 10**8]}{number % 10**8:08d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        address = f"上海市{rng.choice(STREETS)}{rng.randrange(1, 2000)}号"
        level = rng.choices(("normal", "silver", "gold"), (8, 2, 1))[0]
        head = (1, created, created, name, phone, rng.choice("FM"), birthday, wechat, address)
        yield (*head, level, owner, seller, store, birthday is None or wechat is None, "")


def bulk_customers(size: int, rng: random.Random, ids: dict, kind: str, extra=None) -> None:
    """Fixture loading, not a governed write path: batched raw INSERTs, then (VACUUM) ANALYZE.
    `extra` maps more columns (a custom field's) to an iterator of their values."""
    extra = extra or {}
    columns = (*COLUMNS, *extra)
    fields = {f.column_name: f for f in Customer._meta.sorted_fields}
    unknown = set(columns) - set(fields)
    unfilled = [c for c, f in fields.items() if c not in columns and c != "id" and not f.null]
    assert not unknown and not unfilled, f"Customer columns changed: {unknown or unfilled}"
    names = ", ".join(columns)
    more = list(extra.values())
    rows = ((*row, *(next(it) for it in more)) for row in customer_rows(size, rng, ids))
    with db.connection_context():
        while batch := list(islice(rows, BATCH)):
            with db.atomic():
                cursor = db.cursor()
                if kind == "postgresql":
                    execute_values(cursor, f"INSERT INTO customer ({names}) VALUES %s", batch)
                else:
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(f"INSERT INTO customer ({names}) VALUES ({marks})", batch)
        # PostgreSQL: VACUUM too, a settled visibility map as autovacuum leaves a live table
        # (bench/customers.py does the same); else index-only counts visit the heap, or
        # autovacuum starts in the middle of the measured runs
        db.execute_sql("VACUUM ANALYZE customer" if kind == "postgresql" else "ANALYZE")


@contextmanager
def spy_queries():
    """Record (sql, params, seconds to execute) for each statement the app sends."""
    log: list[tuple[str, tuple, float]] = []
    real = type(db.obj).execute_sql

    def spy(self, sql, params=None, *args, **kwargs):
        start = time.perf_counter()
        cursor = real(self, sql, params, *args, **kwargs)
        log.append((sql, tuple(params or ()), time.perf_counter() - start))
        return cursor

    type(db.obj).execute_sql = spy
    try:
        yield log
    finally:
        type(db.obj).execute_sql = real


def shown_rows(body: bytes) -> int:
    """Rows of a list page (one row checkbox each), or of a CSV export (lines after the header)."""
    if body.startswith("\ufeff".encode()):
        return body.count(b"\n") - 1
    return body.count(b'name="rowid"')


def measure_app(client: Client, url: str, repeat: int) -> dict:
    """GET `url` (body read fully, so a stream is drained): median seconds, queries, bytes."""
    client.get(url).get_data()
    times, sql_times = [], []
    for _ in range(repeat):
        with spy_queries() as log:
            start = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
        sql_times.append(sum(seconds for _sql, _params, seconds in log))
    found = {"s": median(times), "sql_s": median(sql_times), "queries": len(log), "log": log}
    return {**found, "bytes": len(body), "rows": shown_rows(body)}


def measure_raw(statements: list[tuple[str, list]], repeat: int) -> tuple[float, int]:
    """Hand-written SQL on a fresh connection, all rows fetched: (median s, rows of the first)."""

    def once() -> tuple[float, int]:
        with db.connection_context():
            start, rows = time.perf_counter(), []
            for sql, params in statements:
                rows.append(sum(1 for _row in db.execute_sql(sql, params)))
            return time.perf_counter() - start, rows[0]

    once()
    runs = [once() for _ in range(repeat)]
    return median(t for t, _ in runs), runs[-1][1]


def days_left_sql() -> tuple[str, list]:
    """The grid's computed "days left" column, as SQL on alias c (the app selects it too)."""
    from rules.ownership import count_days_left

    alias = Customer.alias("c")
    sql, params = alias.select(count_days_left(alias)).sql()
    return sql[len("SELECT ") : sql.index(' FROM "customer"')], params


def raw_sql(
    where: list[str], order: str, limit: int | None = 50, offset: int = 0, estimated=False
) -> tuple[list[str], list]:
    """The list query by hand: the app's WHERE, joins and columns; a page picks its ids on the
    bare table first, then joins them (LIMIT/OFFSET), with its bare COUNT(*), or the planner's
    estimate of it where the app showed one (PostgreSQL, admin_views/grid_count.py). Returns the
    statements and the parameters the days-left column adds in front of the WHERE's."""
    days, params = days_left_sql()
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    select = JOINED.format(days_left=f"{days} AS days_left, ")
    if not limit:
        return [f"{select}{clause} ORDER BY {order}"], params
    page = f'SELECT c.id FROM "customer" c{clause} ORDER BY {order} LIMIT {limit} OFFSET {offset}'
    statements = [f"{select} WHERE c.id IN ({page}) ORDER BY {order}"]
    count = "EXPLAIN (FORMAT JSON) SELECT 1" if estimated else "SELECT COUNT(*)"
    return [*statements, f'{count} FROM "customer" c{clause}'], params


def cases(page_html: str, view, sales_id: int) -> list[tuple]:
    """(name, login, url, raw WHERE, raw params, raw ORDER BY, LIMIT) for each measured page."""
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]+)<', page_html).group(1))
    shown = {f["index"] for group in groups.values() for f in group}
    incomplete = [i for i, f in enumerate(view._filters) if f.column is Customer.incomplete]
    flt = min(i for i in incomplete if i in shown)  # its first operation is "equals"
    by_name = [c for c, _label in view._list_columns].index("name")
    mark, grid, newest = db.obj.param, "/admin/customer/", "c.created_at DESC"
    # The app's WHERE: the grid's own filter (owned customers), then the salesperson's scope
    # built for that grid (rules.scope drops the pool branch, which cannot match here).
    owned = "c.owner_id IS NOT NULL"
    mine = ([owned, f"c.owner_id = {mark}"], [sales_id])
    upper = SEARCH[:-1] + chr(ord(SEARCH[-1]) + 1)
    kinds = [
        ("page", grid, [], [], newest),
        *grid_custom_field.kinds(view, shown, mark, newest),
        ("phone_search", f"{grid}?search={SEARCH}", [f"c.phone >= {mark}", f"c.phone < {mark}"],
         [SEARCH, upper], newest),
        ("filter_sort", f"{grid}?flt0_{flt}=1&sort={by_name}", [f"c.incomplete = {mark}"],
         [True], "c.name"),
    ]  # fmt: skip
    out = [
        (f"{kind}{who}", who, url, scope[0] + where, scope[1] + params, order, 50)
        for who, scope in (("", mine), ("_owner", ([owned], [])))
        for kind, url, where, params, order in kinds
    ]
    return [*out, ("export", "", f"{grid}export/csv/", *mine, newest, None)]


def estimated(log: list) -> bool:
    """Did the app show an estimated count (an EXPLAIN instead of its COUNT)?"""
    return any(sql.startswith("EXPLAIN") for sql, _params, _seconds in log)


def measure_floor(where, params, order, limit, args, offset: int = 0, log=()) -> tuple[float, int]:
    """The floor of one case: its statements by hand, each with its own parameters."""
    sqls, head = raw_sql(where, order, limit, offset, estimated(log))
    statements = [(sqls[0], head + params)] + [(sql, params) for sql in sqls[1:]]
    return measure_raw(statements, args.repeat)


def same_rows(name: str, found: dict) -> None:
    """A floor that reads other rows than the app is no floor: stop the bench."""
    app, floor = found["rows"], found["raw_rows"]
    assert app == floor, f"{name}: the app shows {app} rows, its floor reads {floor}"


def explain(name: str, log: list) -> None:
    """Each statement of the last run with its execute time, and the plan of customer queries."""
    print(f"-- {name}")
    prefix = "EXPLAIN QUERY PLAN " if db.obj.param == "?" else "EXPLAIN ANALYZE "
    with db.connection_context():
        for sql, params, seconds in log:
            print(f"   {seconds * 1000:8.2f} ms  {sql[:110]}")
            if '"customer"' in sql and not sql.startswith("EXPLAIN"):
                for row in db.execute_sql(prefix + sql, params).fetchall():
                    print(f"{'':16}| {row[-1]}")


def run_size(size: int, args: argparse.Namespace) -> tuple[float, dict, dict | None]:
    """Seed one fresh database of `size` customers and measure every case on it."""
    rng = random.Random(size)
    with fresh_app(args.db, args.pg_url) as app:
        start = time.perf_counter()
        ids = seed_people(rng)
        grid_custom_field.create_field()  # issue 10 item 4: filled by the bulk load
        values = grid_custom_field.values(random.Random(-size))
        bulk_customers(size, rng, ids, args.db, {grid_custom_field.COLUMN: values})
        seeded = time.perf_counter() - start
        clients = {"": Client(app.test_client()), "_owner": Client(app.test_client())}
        for who, username in (("", "sales00"), ("_owner", "owner")):
            assert clients[who].login(username).status_code == 302, f"login {username}"
        html = clients[""].get("/admin/customer/").get_data(as_text=True)
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "customer")
        results, sales_id, owner = {}, ids["salesperson"][0][0], None
        if args.only in ("all", "read"):
            for name, who, url, where, params, order, limit in cases(html, view, sales_id):
                found = measure_app(clients[who], url, args.repeat)
                floor = measure_floor(where, params, order, limit, args, log=found["log"])
                found["raw_s"], found["raw_rows"] = floor
                same_rows(name, found)
                results[name] = found
                if args.explain:
                    explain(f"{name} @ {label(size)}", found["log"])
            owner = export_floor.owner_export(clients["_owner"], *days_left_sql(), args.repeat)
        # issue 10 item 2 (bench/grid_bulk_edit.py), last: it rewrites most rows, and on
        # PostgreSQL the dead rows and autovacuum it leaves would weigh on the read cases
        if args.only in ("all", "bulk_edit"):
            results["bulk_edit"] = grid_bulk_edit.measure(
                clients["_owner"], owner_id(), args.repeat
            )
    return seeded, results, owner


def owner_id() -> int:
    with db.connection_context():
        return Staff.get(Staff.username == "owner").id


def report(size: int, seeded: float, results: dict, figures: dict) -> None:
    """Print one size's table and add its figures to `figures`."""
    tag = label(size)
    print(f"\n== {tag} customers: seeded in {seeded:.1f} s ==")
    edit = results.pop("bulk_edit", None)
    if edit:
        ratio = edit["s"] / edit["raw_s"]
        print(f"bulk_edit: {edit['rows']} rows, app {edit['s']:.3f} s, raw {edit['raw_s']:.3f} s, "
              f"app/raw {ratio:.1f}")  # fmt: skip
        figures[f"bulk_edit_{tag}_rows"] = edit["rows"]
        figures[f"bulk_edit_{tag}_s"] = round(edit["s"], 4)
        figures[f"raw_bulk_edit_{tag}_s"] = round(edit["raw_s"], 4)
        figures[f"bulk_edit_{tag}_over_raw"] = round(ratio, 2)
    if not results:
        return
    print(
        f"{'case':<19}{'app ms':>10}{'sql ms':>9}{'queries':>8}{'raw ms':>9}{'app/raw':>8}", end=""
    )
    print(f"{'bytes':>10}{'rows':>8}")
    figures[f"seed_{tag}_s"] = round(seeded, 3)
    for name, r in results.items():
        ratio = r["s"] / r["raw_s"] if r["raw_s"] else 0.0
        print(
            f"{name:<19}{r['s'] * 1000:>10.2f}{r['sql_s'] * 1000:>9.2f}{r['queries']:>8}"
            f"{r['raw_s'] * 1000:>9.2f}{ratio:>8.1f}{r['bytes']:>10}{r['raw_rows']:>8}"
        )
        figures[f"{name}_{tag}_s"] = round(r["s"], 6)
        figures[f"{name}_{tag}_sql_s"] = round(r["sql_s"], 6)
        figures[f"{name}_{tag}_queries"] = r["queries"]
        figures[f"raw_{name}_{tag}_s"] = round(r["raw_s"], 6)
        figures[f"{name}_over_raw_{tag}"] = round(ratio, 2)
        if estimated(r["log"]):  # PostgreSQL showed "about N" rows (admin_views/grid_count.py)
            figures[f"{name}_{tag}_count_estimated"] = True
    figures[f"export_{tag}_bytes"] = results["export"]["bytes"]
    figures[f"export_{tag}_rows"] = results["export"]["rows"]


SHORT = ("custom_field_filter", "custom_field_filter_owner")


def growth(sizes: list[int], names: list[str], figures: dict) -> None:
    """Ratios of each larger size to the smallest: how cost grows with the table."""
    base = label(sizes[0])
    for size in sizes[1:]:
        tag = label(size)
        print(f"\n== growth {tag} / {base} ==")
        for name in names:
            ratio = figures[f"{name}_{tag}_s"] / figures[f"{name}_{base}_s"]
            figures[f"{name}_{tag}_over_{name}_{base}"] = round(ratio, 2)
            print(f"{name:<20}{ratio:>8.1f}x")
        ratio = figures[f"phone_search_{tag}_s"] / figures[f"page_{base}_s"]
        figures[f"phone_search_{tag}_over_page_{base}"] = round(ratio, 2)
        for name in SHORT:  # the short keys, e.g. custom_field_filter_1m_over_10k
            if f"{name}_{tag}_over_{name}_{base}" in figures:
                figures[f"{name}_{tag}_over_{base}"] = figures[f"{name}_{tag}_over_{name}_{base}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="customer counts, comma-separated")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (own schema used)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--explain", action="store_true", help="print each query and its plan")
    cases_help = "which cases: all, the read cases, or the bulk edit alone"
    parser.add_argument(
        "--only", choices=("all", "read", "bulk_edit"), default="all", help=cases_help
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    figures: dict = {"db": args.db, "repeat": args.repeat}
    names: list[str] = []
    for size in sizes:
        seeded, results, owner = run_size(size, args)
        report(size, seeded, results, figures)
        if owner is not None:  # --only bulk_edit measures no export
            export_floor.report(label(size), owner, figures)
        names = list(results)
    if args.only != "bulk_edit":
        growth(sizes, names, figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
