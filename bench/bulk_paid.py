"""Bulk payment as a job (issue 8 item 8): finance confirms payment of N verified orders with
"all matching" (one request), which starts a bulk run; a real huey consumer thread in this
process (as `make run` runs it) takes it batch by batch through the engine (earn points, last
purchase). Timed from the request to the run's end. The floor, on an identical copy, is
hand-written set-based SQL writing the same order, transition, audit, points-ledger and
balance rows; the bench asserts both added as many rows to each."""

from __future__ import annotations

import time
from typing import Any

from bench import grid, job_floors
from models import db
from models.audit import utcnow
from models.bulk import BulkRun
from rules import settings

TABLES = ("transition", "points_entry", "points_account")
AUDITED = ("sales_order", "customer")
WHO = "finance"


def rows() -> dict[str, int]:
    """What the step writes: paid orders, transitions, ledger and balance rows, audit rows."""
    with db.connection_context():
        found = {t: db.execute_sql(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        for table in AUDITED:
            sql = f"SELECT COUNT(*) FROM audit_log WHERE model = '{table}' AND action = 'update'"
            found[f"audit_{table}"] = db.execute_sql(sql).fetchone()[0]
        sql = "SELECT COUNT(*), SUM(points_earned) FROM sales_order WHERE status = 'paid'"
        found["paid"], found["points_earned"] = db.execute_sql(sql).fetchone()
        found["balance"] = db.execute_sql("SELECT SUM(balance) FROM points_account").fetchone()[0]
    return found


def app_run(app: Any) -> float:
    """The request that starts the run, then wait for a consumer thread to finish it."""
    from tasks import huey

    huey._immediate = False  # the queue as `make run` has it: a consumer thread takes the job
    consumer = huey.create_consumer(workers=1, worker_type="thread", flush_locks=False)
    consumer.start()
    try:
        client = grid.Client(app.test_client())
        assert client.login(WHO).status_code == 302, f"login {WHO}"
        start = time.perf_counter()
        response = client.post("/admin/sales_order/approve_matching/", {"step": "paid"})
        assert "/bulk_run/" in response.headers.get("Location", ""), "no bulk run started"
        with db.connection_context():
            while (run := BulkRun.get()).state == "running":
                time.sleep(0.02)
        seconds = time.perf_counter() - start
    finally:
        consumer.stop(graceful=True)
        huey._immediate = True
    assert run.state == "done" and not run.refusals, f"bulk run {run.state}: {run.error}"
    return seconds


def floor() -> list[str]:
    """The same rows by hand: transitions, audit rows (each order; each customer's last
    purchase once per batch, as the job writes them), the points ledger with running balances,
    accounts and balances, then the orders."""
    now, rate = utcnow(), settings().sales.points_per_yuan
    verified, person = "status = 'verified'", f"(SELECT id FROM staff WHERE username = '{WHO}')"
    whole = "TRUNC" if db.obj.param != "?" else "ROUND"  # rules.points.whole_points
    earned = f"CAST({whole}(total * {rate}{'' if whole == 'TRUNC' else ', 6'}) AS INTEGER)"
    via, batch = "'sales_order/confirm_payment/batch'", settings().tasks.bulk_batch
    order_changes = job_floors.changes_sql(
        ("status", "status", "'paid'"), ("paid_amount", "paid_amount", "total"),
        ("paid_at", "paid_at", f"'{now}'"), ("points_earned", "points_earned", earned),
    )  # fmt: skip
    last_deal = job_floors.changes_sql(("last_deal_at", "NULL", f"'{now}'"))
    audit = "INSERT INTO audit_log (model, record_id, action, actor_id, actor_name, at, changes,"
    return [
        "INSERT INTO transition (model, record_id, from_state, to_state, by_id, by_name, at,"
        f" note) SELECT 'sales_order', id, status, 'paid', {person}, '{WHO}', '{now}', ''"
        f" FROM sales_order WHERE {verified}",
        f"{audit} on_behalf_of, via) SELECT 'sales_order', CAST(id AS VARCHAR(40)), 'update',"
        f" {person}, '{WHO}', '{now}', {order_changes}, '', '' FROM sales_order WHERE {verified}",
        f"{audit} on_behalf_of, via) SELECT 'customer', CAST(customer_id AS VARCHAR(40)),"
        f" 'update', NULL, 'system', '{now}', {last_deal}, '{WHO}', {via} FROM (SELECT"
        " DISTINCT customer_id, batch FROM (SELECT customer_id, (ROW_NUMBER() OVER (ORDER BY"
        f" id) - 1) / {batch} AS batch FROM sales_order WHERE {verified}) AS numbered) AS paid",
        "INSERT INTO points_account (customer_id, balance) SELECT DISTINCT customer_id, 0"
        f" FROM sales_order WHERE {verified} AND customer_id NOT IN"
        " (SELECT customer_id FROM points_account)",
        "INSERT INTO points_entry (customer_id, delta, reason, source, balance_after, by_name,"
        f" at) SELECT o.customer_id, {earned}, 'earn', 'sales_order:' || o.id, a.balance +"
        f" SUM({earned}) OVER (PARTITION BY o.customer_id ORDER BY o.id), '{WHO}', '{now}'"
        f" FROM sales_order o JOIN points_account a ON a.customer_id = o.customer_id"
        f" WHERE o.{verified}",
        f"UPDATE points_account SET balance = balance + (SELECT SUM({earned}) FROM sales_order"
        f" WHERE {verified} AND customer_id = points_account.customer_id) WHERE customer_id IN"
        f" (SELECT customer_id FROM sales_order WHERE {verified})",
        f"UPDATE customer SET last_deal_at = '{now}', version = version + 1, updated_at = '{now}'"
        f" WHERE id IN (SELECT customer_id FROM sales_order WHERE {verified})",
        f"UPDATE sales_order SET status = 'paid', paid_amount = total, paid_at = '{now}',"
        f" points_earned = {earned}, version = version + 1, updated_at = '{now}'"
        f" WHERE {verified}",
    ]


def measure(size: int, args: Any) -> dict:
    """The job on one fresh copy, the floor on another; their row counts must agree."""
    from bench.sales import seeded_copy

    with seeded_copy(size, args, "verified") as (app, _seeded):
        before = rows()
        job_s = app_run(app)
        app_rows = rows()
    with seeded_copy(size, args, "verified"):
        assert rows() == before, "the copies differ"
        floor_s = job_floors.run(floor())
        floor_rows = rows()
    assert app_rows["paid"] == size, f"the job paid {app_rows['paid']} of {size}"
    assert app_rows == floor_rows, f"the job wrote {app_rows}, the floor {floor_rows}"
    return {"size": size, "job_s": job_s, "floor_s": floor_s, "rows": app_rows}


def report(results: list[dict], figures: dict) -> None:
    print("\n== bulk payment as a job: verified -> paid with points, all matching, as finance ==")
    print(f"{'orders':>8}{'job ms':>10}{'floor ms':>10}{'job/floor':>10}  rows")
    for r in results:
        tag, ratio = grid.label(r["size"]), r["job_s"] / r["floor_s"]
        print(f"{r['size']:>8}{r['job_s'] * 1e3:>10.1f}{r['floor_s'] * 1e3:>10.1f}", end="")
        print(f"{ratio:>10.1f}  {r['rows']}")
        figures[f"bulk_paid_{tag}_job_s"] = r["job_s"]
        figures[f"bulk_paid_{tag}_raw_s"] = r["floor_s"]
        figures[f"bulk_paid_{tag}_over_raw"] = round(ratio, 2)
