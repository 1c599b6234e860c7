"""The customer page case of bench/customers.py (客户360, issue 9 item 1).

One customer of the measured salesperson gets ORDERS orders and FOLLOW_UPS follow-ups (and a
points ledger); the rest of the company gets `size // SPREAD` orders and follow-ups spread over
its owned customers, so each list of the page is read from a table that grows with the company.
The app's page is timed as the salesperson sees it; the floor replays the statements it sent on
a fresh connection (the same scope, rows and pages, without Python, templates or HTTP).
"""

from __future__ import annotations

import random
import re
from datetime import timedelta

from bench import grid
from models import FollowUp, PointsEntry, SalesOrder, db
from models.audit import utcnow

ORDERS = FOLLOW_UPS = 200
SPREAD = 10  # the company: one order and one follow-up per this many customers
STATUSES = ("draft", "submitted", "verified", "paid", "shipped", "cancelled")


def _stored(model: type, values: dict) -> tuple[tuple, tuple]:
    """(columns, values) of `model` in column order (id aside); a missing NOT NULL fails."""
    names = tuple(f.column_name for f in model._meta.sorted_fields if f.name != "id")
    return names, tuple(values.get(n) for n in names)


def _insert(model: type, rows: list[dict], kind: str) -> None:
    if not rows:
        return
    names = _stored(model, rows[0])[0]
    values = (_stored(model, row)[1] for row in rows)
    if kind == "postgresql":
        from psycopg2.extras import execute_values

        sql = f"INSERT INTO {model._meta.table_name} ({', '.join(names)}) VALUES %s"
        execute_values(db.cursor(), sql, list(values), page_size=grid.BATCH)
    else:
        marks = ", ".join("?" * len(names))
        sql = f"INSERT INTO {model._meta.table_name} ({', '.join(names)}) VALUES ({marks})"
        db.cursor().executemany(sql, values)


def _order(i: int, customer: int, seller: int, at) -> dict:
    return {
        "number": f"SO-B{i:08d}", "customer_id": customer, "status": STATUSES[i % 6],
        "created_by_id": seller, "credit_owner_id": seller, "discount": "0.00",
        "effective_discount": "0.00", "subtotal": "198.00", "total": "198.00",
        "paid_amount": "0.00", "discount_flagged": False, "points_redeemed": 0, "gifts": "",
        "delivery": "pickup", "payment_method": "wechat", "recipient": "", "recipient_phone": "",
        "address": "", "points_earned": 0, "note": "", "version": 1, "payment_ref": "",
        "courier": "", "tracking_no": "", "created_at": str(at), "updated_at": str(at),
    }  # fmt: skip


def _follow_up(customer: int, staff: int, at) -> dict:
    return {
        "customer_id": customer, "staff_id": staff, "at": str(at), "users_count": 2,
        "amount_per_person": "每日两粒", "adverse_reaction": False, "adverse_details": "",
        "expectations": "改善睡眠", "notes": "", "version": 1, "created_at": str(at),
        "updated_at": str(at),
    }  # fmt: skip


def seed(size: int, rng: random.Random, kind: str, sales_id: int) -> int:
    """Seed the busy customer and the company's orders and follow-ups; return its id."""
    now = utcnow().replace(microsecond=0)
    with db.connection_context():
        owned = db.execute_sql(
            "SELECT id, owner_id FROM customer WHERE owner_id IS NOT NULL ORDER BY id"
        ).fetchall()
        busy = next(cid for cid, owner in owned if owner == sales_id)
        picked = [rng.choice(owned) for _ in range(size // SPREAD)]
        orders = [
            _order(i, cid, owner, now - timedelta(hours=i)) for i, (cid, owner) in enumerate(picked)
        ]
        orders += [
            _order(len(picked) + i, busy, sales_id, now - timedelta(hours=i)) for i in range(ORDERS)
        ]
        visits = [
            _follow_up(cid, owner, now - timedelta(hours=i))
            for i, (cid, owner) in enumerate(picked)
        ]
        visits += [_follow_up(busy, sales_id, now - timedelta(days=i)) for i in range(FOLLOW_UPS)]
        ledger = [
            {"customer_id": busy, "delta": 198, "reason": "earn", "source": f"sales_order:{i}",
             "balance_after": 198 * (i + 1), "by_name": "system", "at": str(now)}
            for i in range(30)
        ]  # fmt: skip
        with db.atomic():
            for start in range(0, len(orders), grid.BATCH):
                _insert(SalesOrder, orders[start : start + grid.BATCH], kind)
                _insert(FollowUp, visits[start : start + grid.BATCH], kind)
            _insert(PointsEntry, ledger, kind)
        db.execute_sql("ANALYZE")
    return busy


def case(client: grid.Client, customer: int, repeat: int) -> dict:
    """The salesperson's page of the busy customer, against its statements replayed."""
    url = f"/admin/customer/details/?id={customer}"
    found = grid.measure_app(client, url, repeat)
    html = client.get(url).get_data(as_text=True)
    for testid in ("orders", "follow-ups", "points"):
        body = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S).group(1)
        assert body.count("<tr>") == 11, f"{testid}: a page of 10 rows and the header"
    assert re.search(rf'<span class="badge badge-light">{ORDERS}</span>', html), "all 200 counted"
    replay = [(sql, list(params)) for sql, params, _s in found["log"]]
    found["raw_s"], found["raw_rows"] = grid.measure_raw(replay, repeat)
    found["rows"] = found["raw_rows"]
    return found
