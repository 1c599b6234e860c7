"""Sales benchmark: bulk approval of N submitted orders, and the six sales vouchers.

    python bench/sales.py --sizes 1000,10000 [--db sqlite|postgresql] [--repeat 20] [--rounds 3]

For each size and round: a fresh database with N orders in state "submitted" (fixture loading:
raw batched INSERTs), approved to "verified" by a logged-in supervisor through
/admin/sales_order/approve_matching/ (one request, set-based), checked for N transition and N
audit rows; and, on an identical fresh copy, the raw floor: one UPDATE of the same rows (median
over --rounds). Then each voucher is rendered --repeat times (p50, p95) and a 100-order invoice.
Prints a table, then ONE line of JSON (seconds as floats, ratios as plain numbers).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from statistics import median

import pypdf
from psycopg2.extras import execute_values

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import printouts  # noqa: E402
import rules  # noqa: E402
from bench import bulk_paid, grid, job_floors, order_search  # noqa: E402
from bench import customers as cust  # noqa: E402
from models import AuditLog, Customer, Location, Product, Staff, db  # noqa: E402
from models.audit import utcnow  # noqa: E402
from models.sales import SalesOrder, SalesOrderLine  # noqa: E402
from models.stock import StockMove  # noqa: E402
from models.workflow import Transition  # noqa: E402
from rules import approval  # noqa: E402
from rules import points as points_ledger  # noqa: E402
from rules.sales import approve_discount  # noqa: E402
from tests.conftest import PASSWORD, actor_of  # noqa: E402

VOUCHERS = "sales_invoice sales_receipt payment_receipt pickup_voucher express_waybill points_slip"
CUSTOMERS, PRODUCTS, PER_DAY, BATCH = 40, 6, 200, 5000
RAW_UPDATE = (
    "UPDATE sales_order SET status = 'verified', version = version + 1 WHERE status = 'submitted'"
)
CHAIN = {"submitted": None, "verified": "supervisor", "paid": "finance", "shipped": "warehouse"}
ROLES = {"supervisor": "sales_supervisor", "finance": "finance", "warehouse": "warehouse"}


def seed_world(rng: random.Random) -> dict:
    """Stores, staff, products, stock and customers, saved through the rules (few rows)."""
    ids = grid.seed_people(rng)
    with db.connection_context(), rules.acting_as(rules.SYSTEM):
        hq = Location(code=rules.settings().sales.ship_from, name="总部仓库", kind="warehouse")
        hq.save()
        for username, role in ROLES.items():
            person = Staff(username=username, display_name=username.title(), roles=role)
            person.set_password(PASSWORD)
            person.save()
        products = []
        for i in range(PRODUCTS):
            price = Decimal(rng.randrange(50, 500))
            product = Product(sku=f"HP-{i:03d}", name=f"蜂胶软胶囊{i}", unit="瓶", price=price)
            product.save()
            StockMove(product=product, location=hq, quantity=10_000, kind="inbound").save()
            products.append((product.id, price))
        owned = []
        for i in range(CUSTOMERS):
            owner = ids["salesperson"][i % len(ids["salesperson"])][0]
            name = rng.choice(grid.SURNAMES) + rng.choice(grid.GIVEN)
            phone, address = f"139{i:08d}", f"上海市{rng.choice(grid.STREETS)}{i + 1}号"
            row = Customer(name=name, phone=phone, gender="F", address=address, owner=owner)
            row.save()
            owned.append((row.id, owner))
        points_ledger.post(owned[0][0], 1000, "earn", "opening", rules.SYSTEM)
    return {"customers": owned, "products": products}


def insert_rows(table: str, columns: tuple, rows, kind: str) -> None:
    """Fixture loading, not a governed write path: batched raw INSERTs."""
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    while batch := list(islice(rows, BATCH)):
        with db.atomic():
            if kind == "postgresql":
                execute_values(db.cursor(), f"INSERT INTO {table} ({names}) VALUES %s", batch)
            else:
                db.cursor().executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def stored(model: type, values: dict | None = None) -> tuple:
    """`model`'s columns (id aside), or `values` in their order (a missing NOT NULL fails)."""
    names = [f.column_name for f in model._meta.sorted_fields if f.name != "id"]
    return tuple(names if values is None else (values.get(name) for name in names))


def seed_orders(
    size: int, rng: random.Random, world: dict, kind: str, status: str = "submitted"
) -> None:
    """`size` orders (submitted unless told), one or two lines each, PER_DAY a day before today."""
    start = utcnow().replace(hour=1, minute=0, second=0, microsecond=0)
    start -= timedelta(days=size // PER_DAY + 1)
    orders, lines = [], []
    for i in range(size):
        at = start + timedelta(days=i // PER_DAY, seconds=(i % PER_DAY) * 60)
        customer, seller = world["customers"][i % len(world["customers"])]
        picked = [rng.choice(world["products"]) for _ in range(rng.choice((1, 1, 2)))]
        picked = [(p, rng.randrange(1, 4), price) for p, price in picked]
        subtotal = sum((price * qty for _p, qty, price in picked), Decimal("0.00"))
        number = f"SO-{at:%Y%m%d}-{i % PER_DAY + 1:04d}"
        values = {
            "number": number, "customer_id": customer, "status": status,
            "created_by_id": seller, "credit_owner_id": seller, "credit_salesperson_id": seller,
            "discount": "0.00", "effective_discount": "0.00", "subtotal": str(subtotal),
            "total": str(subtotal), "paid_amount": "0.00", "discount_flagged": False,
            "points_redeemed": 0, "gifts": "",
            "delivery": "pickup", "payment_method": "wechat", "recipient": "",
            "recipient_phone": "", "address": "", "points_earned": 0, "note": "", "version": 1,
            "payment_ref": "", "courier": "", "tracking_no": "",
            "created_at": str(at), "updated_at": str(at + timedelta(minutes=5)),
            "submitted_at": str(at + timedelta(minutes=5)),
        }  # fmt: skip
        orders.append(stored(SalesOrder, values))
        lines.append((number, picked))
    with db.connection_context():
        insert_rows("sales_order", stored(SalesOrder), iter(orders), kind)
        by_number = dict(db.execute_sql("SELECT number, id FROM sales_order").fetchall())
        now = str(utcnow())
        same = {"is_gift": False, "version": 1, "created_at": now, "updated_at": now}
        line_rows = (
            stored(SalesOrderLine, {"order_id": by_number[number], "product_id": p, **same}
                   | {"quantity": qty, "unit_price": str(price), "list_price": str(price)})
            for number, picked in lines
            for p, qty, price in picked
        )  # fmt: skip
        insert_rows("sales_order_line", stored(SalesOrderLine), line_rows, kind)


@contextmanager
def seeded_copy(size: int, args: argparse.Namespace, status: str = "submitted"):
    """Seed a fresh database (same seed, so every copy is identical); yields (app, seconds)."""
    with cust.fresh_app(args.db, args.pg_url) as (app, schema):
        start, rng = time.perf_counter(), random.Random(size)
        world = seed_world(rng)
        seed_orders(size, rng, world, args.db, status)
        if args.db == "postgresql":  # a settled visibility map, not autovacuum's
            cust.pg_admin(args.pg_url, "VACUUM ANALYZE", schema)
        else:
            with db.connection_context():
                db.execute_sql("ANALYZE")
        yield app, time.perf_counter() - start


def counts() -> dict:
    """Verified orders, and the transition and audit rows of moves to "verified"."""
    moved = (Transition.model == "sales_order") & (Transition.to_state == "verified")
    audited = (AuditLog.model == "sales_order") & (AuditLog.action == "update")
    with db.connection_context():
        return {
            "verified": SalesOrder.select().where(SalesOrder.status == "verified").count(),
            "transitions": Transition.select().where(moved).count(),
            "audits": AuditLog.select().where(audited).count(),
        }


def explain(log: list) -> None:
    """Each statement of the app's run with its time, and its plan on the identical copy."""
    prefix = "EXPLAIN QUERY PLAN " if db.obj.param == "?" else "EXPLAIN "
    with db.connection_context():
        for sql, params, seconds in log:
            print(f"   {seconds * 1000:9.2f} ms  {sql[:150]}")
            if '"sales_order"' in sql and not sql.startswith(("SAVEPOINT", "RELEASE")):
                for row in db.execute_sql(prefix + sql, params).fetchall():
                    print(f"{'':17}| {row[-1]}")


def approve_once(size: int, args: argparse.Namespace, figures: dict, first: bool) -> dict:
    """The app path on one fresh copy, the raw UPDATE on another; vouchers the very first time."""
    with seeded_copy(size, args) as (app, seeded):
        client = grid.Client(app.test_client())
        assert client.login("supervisor").status_code == 302, "login supervisor"
        client.get("/admin/sales_order/").get_data()  # the page the button is on (warm-up)
        with grid.spy_queries() as log:
            start = time.perf_counter()
            response = client.post("/admin/sales_order/approve_matching/", {"step": "verified"})
            found = {"s": time.perf_counter() - start, "seeded": seeded}
        found["counts"] = counts()
        assert response.status_code == 302, f"approve_matching: HTTP {response.status_code}"
        found.update(sql_s=sum(s for *_x, s in log), queries=len(log))
        want = {"verified": size, "transitions": size, "audits": size}
        assert found["counts"] == want, f"approve_matching wrote {found['counts']}, want {want}"
        if "voucher_p95_s" not in figures:
            measure_vouchers(args.repeat, figures)
    with seeded_copy(size, args):
        if args.explain and first:
            print(f"-- bulk approve @ {grid.label(size)}")
            explain(log)
        with db.connection_context():
            start = time.perf_counter()
            with db.atomic():
                rows = db.execute_sql(RAW_UPDATE).rowcount
            found["raw_s"] = time.perf_counter() - start
        assert rows == size, f"raw UPDATE moved {rows} rows"
    with seeded_copy(size, args):  # the same rows the app writes (history, audit), by hand
        found["full_s"] = job_floors.run(full_floor())
        assert counts() == want, f"the full floor wrote {counts()}, want {want}"
    return found


def full_floor() -> list[str]:
    """The transition row, the audit row and the UPDATE of each submitted order, by hand."""
    now, who = utcnow(), "supervisor"
    changes = job_floors.changes_sql(("status", "status", "'verified'"))
    submitted = "status = 'submitted'"
    return [
        "INSERT INTO transition (model, record_id, from_state, to_state, by_id, by_name, at,"
        f" note) SELECT 'sales_order', id, status, 'verified', (SELECT id FROM staff"
        f" WHERE username = '{who}'), '{who}', '{now}', '' FROM sales_order WHERE {submitted}",
        "INSERT INTO audit_log (model, record_id, action, actor_id, actor_name, at, changes)"
        " SELECT 'sales_order', CAST(id AS VARCHAR(40)), 'update', (SELECT id FROM staff"
        f" WHERE username = '{who}'), '{who}', '{now}', {changes} FROM sales_order"
        f" WHERE {submitted}",
        f"UPDATE sales_order SET status = 'verified', version = version + 1, updated_at = '{now}'"
        f" WHERE {submitted}",
    ]


def measure_approval(size: int, args: argparse.Namespace, figures: dict) -> dict:
    """--rounds pairs of fresh copies; the medians, and each round's ratio."""
    runs = [approve_once(size, args, figures, i == 0) for i in range(args.rounds)]
    found = {k: median(r[k] for r in runs) for k in ("s", "sql_s", "raw_s", "full_s")}
    found["ratios"] = [r["s"] / r["raw_s"] for r in runs]  # each pair ran under the same load
    found["ratio"] = median(found["ratios"])
    found["full_ratio"] = median(r["s"] / r["full_s"] for r in runs)
    return {**runs[0], **found, "size": size}


def printable_order(delivery: str) -> int:
    """A two-line order by sales00 for their first customer, moved to "shipped" by the roles."""
    people = {s.username: s for s in Staff.select()}
    customer = Customer.select().where(Customer.owner == people["sales00"].id).first()
    address = "江苏省南京市鼓楼区中山北路288号" if delivery == "express" else ""
    with rules.acting_as(actor_of(people["sales00"])):
        order = SalesOrder(customer=customer, delivery=delivery, address=address)
        order.discount, order.points_redeemed = Decimal("10.00"), 200
        order.save()
        first, second = Product.select().order_by(Product.id).limit(2)
        for product, qty, price in ((first, 2, first.price), (second, 1, Decimal(0))):
            line = SalesOrderLine(order=order, product=product, quantity=qty, unit_price=price)
            line.is_gift = not price
            line.save()
    for state, username in CHAIN.items():
        with rules.acting_as(actor_of(people[username or "sales00"])):
            row = SalesOrder.get_by_id(order.id)
            if state == "paid" and row.discount_flagged:  # the gift counts as discount (B3)
                approve_discount(row)
                row = SalesOrder.get_by_id(order.id)
            # the ship step's form (issue 8 item 5): an express parcel's courier and number
            form = {"courier": "顺丰速运", "tracking_no": "SF1234567890"}
            assert approval.approve(row, values=form if state == "shipped" else None) == state
    return order.id


def quantile(times: list[float], share: float) -> float:
    """Nearest-rank quantile: the value at or below which `share` of the runs fall."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed(kind: str, ids: list[int]) -> tuple[bytes, float, float]:
    """Load the orders and render them as one PDF: (bytes, wall seconds, CPU seconds)."""
    with db.connection_context(), rules.acting_as(rules.SYSTEM):
        start, busy = time.perf_counter(), time.process_time()
        data = printouts.render_pdf(kind, list(SalesOrder.select().where(SalesOrder.id.in_(ids))))
        return data, time.perf_counter() - start, time.process_time() - busy


def row(name: str, seconds: list, size: int, note: str = "") -> None:
    print(f"{name:<17}" + "".join(f"{t * 1e3:>9.1f}" if t else f"{'':>9}" for t in seconds), end="")
    print(f"{size:>9}" + (f"  {note}" if note else ""))


def measure_vouchers(repeat: int, figures: dict) -> None:
    """Each voucher --repeat times after one warm-up; a 100-order sales invoice once."""
    with db.connection_context():
        orders = {d: printable_order(d) for d in ("pickup", "express")}
    missing = [kind for kind in VOUCHERS.split() if kind not in printouts.KINDS]
    print(f"\n== vouchers: one order each, {repeat} renders after one warm-up ==")
    print(f"{'voucher':<17}{'first ms':>9}{'p50 ms':>9}{'p95 ms':>9}{'cpu p95':>9}{'bytes':>9}")
    worst = worst_cpu = 0.0
    for kind in (k for k in VOUCHERS.split() if k not in missing):
        ids = [orders["express" if kind == "express_waybill" else "pickup"]]
        runs = [timed(kind, ids) for _ in range(repeat + 1)]
        wall, cpu = [r[1] for r in runs[1:]], [r[2] for r in runs[1:]]
        p50, p95, cpu95 = quantile(wall, 0.5), quantile(wall, 0.95), quantile(cpu, 0.95)
        row(kind, [runs[0][1], p50, p95, cpu95], len(runs[0][0]))
        figures[f"voucher_{kind}_p50_s"], figures[f"voucher_{kind}_p95_s"] = p50, p95
        worst, worst_cpu = max(worst, p95), max(worst_cpu, cpu95)
    with db.connection_context():
        verified = SalesOrder.select(SalesOrder.id).where(SalesOrder.status == "verified")
        ids = [order.id for order in verified.order_by(SalesOrder.id).limit(100)]
    data, batch_s, batch_cpu = timed("sales_invoice", ids)
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    row(f"batch of {len(ids)}", [batch_s, 0, 0, batch_cpu], len(data), f"{pages} pages")
    if missing:
        print(f"missing from printouts.KINDS (skipped): {', '.join(missing)}")
    figures.update(voucher_p95_s=worst, voucher_p95_cpu_s=worst_cpu, voucher_repeat=repeat)
    figures.update(voucher_batch_100_s=batch_s, voucher_batch_100_cpu_s=batch_cpu)
    figures.update(voucher_batch_100_pages=pages, voucher_missing=missing)


def report(results: list[dict], figures: dict) -> None:
    """The approval table, and its figures into `figures`."""
    print("\n== bulk approval: submitted -> verified, all matching, as the supervisor (medians) ==")
    print(
        f"{'orders':>8}{'seed s':>8}{'app ms':>10}{'sql ms':>10}{'queries':>8}{'raw ms':>9}", end=""
    )
    print(f"{'app/raw':>9}  per round        transitions / audit rows")
    for r in results:
        tag, ms = grid.label(r["size"]), {k: r[k] * 1e3 for k in ("s", "sql_s", "raw_s")}
        print(f"{r['size']:>8}{r['seeded']:>8.1f}{ms['s']:>10.1f}{ms['sql_s']:>10.1f}", end="")
        print(f"{r['queries']:>8}{ms['raw_s']:>9.1f}{r['ratio']:>9.1f}", end="")
        each = "/".join(f"{x:.1f}" for x in r["ratios"])
        print(f"  {each:<16} {r['counts']['transitions']} / {r['counts']['audits']}")
        figures[f"seed_{tag}_s"], figures[f"bulk_approve_{tag}_s"] = r["seeded"], r["s"]
        figures[f"bulk_approve_{tag}_sql_s"] = r["sql_s"]
        figures[f"bulk_approve_{tag}_queries"] = r["queries"]
        figures[f"raw_update_{tag}_s"] = r["raw_s"]
        figures[f"bulk_approve_{tag}_over_raw_update"] = round(r["ratio"], 2)
        figures[f"raw_update_full_{tag}_s"] = r["full_s"]  # transitions and audit rows too
        figures[f"bulk_approve_{tag}_over_raw_update_full"] = round(r["full_ratio"], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="order counts, comma-separated")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=grid.PG_URL, help="PostgreSQL server (own schema used)")
    parser.add_argument("--repeat", type=int, default=20, help="renders per voucher")
    parser.add_argument("--rounds", type=int, default=3, help="fresh copies per size (median)")
    parser.add_argument("--explain", action="store_true", help="print each statement and its plan")
    parser.add_argument(
        "--only", choices=("all", "search"), default="all", help="search: only the order search"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    figures: dict = {"db": args.db, "sizes": sizes, "rounds": args.rounds}
    if args.only == "all":
        report([measure_approval(size, args, figures) for size in sizes], figures)
        bulk_paid.report([bulk_paid.measure(size, args) for size in sizes], figures)
    order_search.report([order_search.measure(size, args) for size in sizes], figures)
    figures = {k: round(v, 6) if isinstance(v, float) else v for k, v in figures.items()}
    figures["load_average"] = round(os.getloadavg()[0], 2)  # others' work skews wall-clock figures
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
