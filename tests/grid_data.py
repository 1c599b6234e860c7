"""Enough rows for a realistic query plan (issue 7 items 15-16): twenty salespeople, two stores,
customers, orders, follow-ups, adverse cases, tasks, stock moves, messages and audit rows,
then ANALYZE.

Fixture loading, not a governed write path: `insert_many` in batches (defaults filled by peewee).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from models import (
    AdverseCase,
    AuditLog,
    Customer,
    FollowUp,
    FollowUpTask,
    Notification,
    Product,
    SalesOrder,
    StockMove,
    db,
)
from models.audit import utcnow
from tests.conftest import World, make_staff

CUSTOMERS, ROWS, PRODUCTS, BATCH = 12_000, 6_000, 300, 400


def _load(model: type, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start : start + BATCH]).execute()


def _customers(world: World, rng: random.Random, sellers: list[int]) -> list[tuple]:
    """(id, owner, store) of each loaded customer: 20% pool, 10% store, the rest salespeople."""
    start, rows = utcnow() - timedelta(days=730), []
    stores = ((world.store1.id, world.s1.id), (world.store2.id, world.s2.id))
    for i in range(CUSTOMERS):
        roll = rng.random()
        owner = store = None
        if roll < 0.2:
            store = rng.choice((None, None, None, world.s1.id, world.s2.id))
        elif roll < 0.3:
            owner, store = rng.choice(stores)
        else:
            owner = rng.choice(sellers)
        at = start + timedelta(minutes=i * 87)
        rows.append(
            {"name": f"客户{i}", "phone": f"136{i:08d}", "address": "上海市", "owner": owner}
            | {"salesperson": owner if roll >= 0.3 else None, "store": store}
            | {"incomplete": rng.random() < 0.3, "created_at": at, "updated_at": at}
        )
    _load(Customer, rows)
    return [
        (c.id, c.owner_id, c.store_id)
        for c in Customer.select(Customer.id, Customer.owner, Customer.store)
        if c.owner_id
    ]


def _activity(world: World, rng: random.Random, owned: list[tuple], staff: list[int]) -> None:
    _load(Product, [{"sku": f"T-{i:04d}", "name": f"产品{i}"} for i in range(PRODUCTS)])
    products = [p.id for p in Product.select(Product.id)]
    start, today = utcnow() - timedelta(days=365), date.today()
    orders, follow_ups, tasks, moves, notes, audits = [], [], [], [], [], []
    for i in range(ROWS):
        cid, owner, store = rng.choice(owned)
        at = start + timedelta(minutes=i * 170)
        orders.append(
            {"number": f"SO-T-{i:06d}", "customer": cid, "created_by": owner}
            | {"credit_owner": owner, "store": store, "created_at": at, "updated_at": at}
            | {"status": rng.choice(("draft", "submitted", "verified", "paid", "shipped"))}
        )
        follow_ups.append({"customer": cid, "staff": owner, "at": at, "created_at": at})
        tasks.append(
            {"customer": cid, "assignee": owner, "reason": "interval", "priority": 20}
            | {"due_on": today + timedelta(days=rng.randrange(-20, 20)), "created_at": at}
            | {"status": rng.choice(("open", "done"))}
        )
        place = rng.choice((world.hq.id, world.s1.id, world.s2.id))
        moves.append(
            {"product": rng.choice(products), "location": place, "quantity": rng.choice((5, -1))}
            | {"kind": "inbound", "at": at, "created_at": at}
        )
        notes.append({"recipient": rng.choice(staff), "title": f"提醒 {i}", "created_at": at})
        audits.append(
            {"model": "customer", "record_id": str(cid), "action": "update", "at": at}
            | {"actor_id": owner, "actor_name": "x", "changes": "{}"}
        )
    for model, rows in (
        (SalesOrder, orders),
        (FollowUp, follow_ups),
        (FollowUpTask, tasks),
        (StockMove, moves),
        (Notification, notes),
        (AuditLog, audits),
    ):
        _load(model, rows)
    cases = list(FollowUp.select(FollowUp.id, FollowUp.customer, FollowUp.at))[::10]
    _load(
        AdverseCase,
        [
            {"customer": f.customer_id, "follow_up": f.id, "details": "皮疹"}
            | {"opened_at": f.at, "created_at": f.at}
            for f in cases
        ],
    )


def load(world: World) -> None:
    """Load the rows (as SYSTEM, inside a connection) and refresh the planner's statistics."""
    rng = random.Random(7)
    extra = [make_staff(f"seller{i:02d}", "salesperson").id for i in range(18)]
    sellers = [world.sales1.id, world.sales2.id, *extra]
    with db.atomic():
        owned = _customers(world, rng, sellers)
        staff = [*sellers, world.owner.id, world.store1.id, world.supervisor.id]
        _activity(world, rng, owned, staff)
    db.execute_sql("ANALYZE" if db.obj.param == "?" else "VACUUM ANALYZE")
