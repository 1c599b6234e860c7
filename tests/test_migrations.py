"""The schema upgrades in place (issue 2 §3): a database at version 1 keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app import create_app
from models import Customer, Staff, db
from models.migrations import LATEST, MIGRATIONS, current_version, migrate
from tests.conftest import PG_URL

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.sql"


def test_migrations_are_numbered_in_order():
    versions = [v for v, _d, _f in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1)) and LATEST == versions[-1]


@pytest.mark.skipif(bool(PG_URL), reason="the version-1 fixture is a SQLite dump")
def test_upgrade_from_the_first_schema_version_keeps_the_data(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(FIXTURE.read_text(encoding="utf-8"))
    con.close()
    create_app(
        overrides={
            "database": {"url": f"sqlite:///{path}"},
            "tasks": {"url": "memory://", "immediate": True},
        }
    )
    with db.connection_context():
        assert current_version() == 1
        customers = sorted(r[0] for r in db.execute_sql("SELECT phone FROM customer"))
        migrate()
        assert current_version() == LATEST
        assert sorted(c.phone for c in Customer.select()) == customers and customers
        assert Staff.get(username="owner").check_password("mingcrm-demo")
        assert migrate() == []  # running again changes nothing


def test_migrate_on_an_empty_database_reaches_the_latest_version(app):
    with db.connection_context():
        assert current_version() == LATEST


def test_v7_adds_list_prices_and_the_discount_below_list_to_existing_orders(world):
    """An order saved before migration 7 gets its lines' list prices and its whole discount."""
    from decimal import Decimal

    from models import SalesOrder, SalesOrderLine
    from tests.test_sales import new_order

    order = new_order(world, qty=2, discount="10.00")
    with db.connection_context():
        with db.atomic():
            SalesOrderLine.update(unit_price=Decimal("150.00")).execute()  # as priced back then
        for table, column in (
            ("sales_order_line", "list_price"),
            ("sales_order", "effective_discount"),
            ("audit_log", "on_behalf_of"),
            ("audit_log", "via"),
        ):
            db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        version = next(
            v for v, _d, f in MIGRATIONS if f.__name__.endswith("_discount_below_list_and_effects")
        )
        db.execute_sql(f"DELETE FROM schema_version WHERE version >= {version}")
        assert version in migrate()
        line = SalesOrderLine.get(SalesOrderLine.order == order.id)
        assert line.list_price == Decimal("198.00")
        assert SalesOrder.get_by_id(order.id).effective_discount == Decimal("106.00")
