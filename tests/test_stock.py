"""The stock ledger and its balances (B4, D1; issue 7 items 4 and 9): the ledger is the truth,
a per-(product, location) balance row beside it is the lock that keeps stock from going below
zero, and store staff see their own store's lines only."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

import rules
from models import Product, SalesOrder, SalesOrderLine, StockBalance, StockMove, db
from models.migrations import _v7_stock_balances_pickup, run_step
from rules.approval import approve
from rules.stock import balance_mismatches
from tests.conftest import actor_of, system


def acting(person):
    return rules.acting_as(actor_of(person))


def post(person, kind, qty, location, product=None):
    """A manual movement through the ledger grid's path (save -> rules)."""
    with db.connection_context(), acting(person):
        product = product or Product.get(Product.sku == "HP-001")
        StockMove(product=product.id, location=location.id, kind=kind, quantity=qty).save()


def paid_order(world, qty=1, customer=None, seller=None):
    """An order moved to "paid" by the real roles, ready for the warehouse."""
    seller = seller or world.sales1
    with db.connection_context(), acting(seller):
        order = SalesOrder(customer=(customer or world.c_sales1).id)
        order.save()
        SalesOrderLine(order=order.id, product=world.product.id, quantity=qty).save()
    for person in (seller, world.supervisor, world.finance):
        with db.connection_context(), acting(person):
            approve(SalesOrder.get_by_id(order.id))
    return order.id


def balance(product, location) -> int | None:
    with system():
        row = StockBalance.get_or_none(
            (StockBalance.product == product.id) & (StockBalance.location == location.id)
        )
        return None if row is None else row.on_hand


# --- item 4: two shipments of the last unit at once ------------------------------------------


def test_two_shipments_of_the_last_unit_at_once_ship_exactly_one(world, monkeypatch):
    """Both clerks read "1 in stock", then both post. The balance row serialises the posts:
    one order ships, the other is refused, and stock never goes below zero (B4).

    The rendezvous sits where both versions of the code had read the stock and not yet written
    it, so the race happens every run. SQLite's IMMEDIATE transactions let only one clerk in at
    a time: the first waits out the rendezvous, the second then reads 0 and is refused."""
    post(world.warehouse, "inbound", 1, world.hq)
    orders = [paid_order(world), paid_order(world)]
    with system():
        from tests.conftest import make_staff

        warehouse2 = make_staff("warehouse2", "warehouse")
    rendezvous = threading.Barrier(2, timeout=3)
    real_insert = StockMove.insert.__func__

    def insert_after_both_read(cls, *args, **kwargs):
        try:
            rendezvous.wait()
        except threading.BrokenBarrierError:
            pass  # the other clerk is held back by the database (SQLite)
        return real_insert(cls, *args, **kwargs)

    monkeypatch.setattr(StockMove, "insert", classmethod(insert_after_both_read))
    results = []

    def ship(person, order_id):
        with db.connection_context(), acting(person):
            try:
                approve(SalesOrder.get_by_id(order_id))
                results.append("ok")
            except rules.RuleViolation as exc:
                results.append(exc.message())

    threads = [
        threading.Thread(target=ship, args=(p, o))
        for p, o in zip((world.warehouse, warehouse2), orders, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.undo()
    assert results.count("ok") == 1, results
    refused = next(r for r in results if r != "ok")
    assert "总部仓库" in refused and "蜂胶软胶囊" in refused
    with system():
        assert StockMove.on_hand(world.product.id, world.hq.id) == 0
        statuses = sorted(SalesOrder.get_by_id(o).status for o in orders)
    assert statuses == ["paid", "shipped"]
    assert balance(world.product, world.hq) == 0
    with system():
        assert balance_mismatches() == []


# --- item 4: the balance agrees with the ledger ------------------------------------------------


def test_the_balance_agrees_with_the_ledger_after_the_demo_seed(app):
    from models.demo import seed

    with system():
        made = seed()
        assert made["orders"] > 0  # the demo ships an order, so sale outbounds are in the ledger
        assert StockMove.select().where(StockMove.kind == "sale_outbound").exists()
        assert balance_mismatches() == []
        assert StockBalance.select().count() == (
            StockMove.select(StockMove.product, StockMove.location).distinct().count()
        )


def test_the_balance_agrees_with_the_ledger_after_a_series_of_moves(world):
    with system():
        other = Product(sku="HP-002", name="鱼油软胶囊", unit="瓶", price=Decimal("98.00"))
        other.save()
    post(world.warehouse, "inbound", 10, world.hq)
    post(world.warehouse, "inbound", 4, world.s1, product=other)
    post(world.warehouse, "outbound", 3, world.hq)  # typed as 3, stored as -3
    post(world.warehouse, "transfer_out", 2, world.hq)
    post(world.warehouse, "transfer_in", 2, world.s1)
    with pytest.raises(rules.RuleViolation, match="Only 4 in stock at 南京西路店"):
        post(world.warehouse, "outbound", 5, world.s1, product=other)
    shipped, refused = paid_order(world, qty=4), paid_order(world, qty=1)
    with db.connection_context(), acting(world.warehouse):
        approve(SalesOrder.get_by_id(shipped))  # 5 - 4 = 1 left at HQ
    post(world.warehouse, "outbound", 1, world.hq)
    with db.connection_context(), acting(world.warehouse), pytest.raises(rules.RuleViolation):
        approve(SalesOrder.get_by_id(refused))
    assert balance(world.product, world.hq) == 0
    assert balance(world.product, world.s1) == 2
    assert balance(other, world.s1) == 4
    with system():
        assert balance_mismatches() == []
        assert StockMove.on_hand(world.product.id, world.hq.id) == 0


def test_the_database_itself_refuses_a_negative_balance(world):
    from peewee import IntegrityError

    post(world.warehouse, "inbound", 1, world.hq)
    with system(), pytest.raises(IntegrityError), db.atomic():
        db.execute_sql("UPDATE stock_balance SET on_hand = -1")


def test_the_migration_backfills_balances_from_the_ledger(world):
    """An owner upgrading keeps the ledger; the new balance rows are computed from it."""
    post(world.warehouse, "inbound", 7, world.hq)
    post(world.warehouse, "inbound", 3, world.s1)
    post(world.warehouse, "outbound", 2, world.hq)
    with system():
        db.execute_sql("DROP TABLE stock_balance")
        # a race before the upgrade left the ledger below zero at one store
        StockMove.insert(
            product=world.product.id, location=world.s2.id, quantity=-2, kind="sale_outbound"
        ).execute()
        run_step(_v7_stock_balances_pickup)
        assert balance_mismatches() == []
        fix = StockMove.get((StockMove.location == world.s2.id) & (StockMove.kind == "adjustment"))
        assert fix.quantity == 2 and "below zero" in fix.note
    assert balance(world.product, world.hq) == 5
    assert balance(world.product, world.s1) == 3
    assert balance(world.product, world.s2) == 0
