"""Query plans of the searches people type (issue 9 item 2), on tests/grid_data.py's rows.

The last 4 digits of a phone are answered from an index on `substr(phone, 8)` (within a
salesperson's or a store's customers: one that starts with the scope column), and an order
number's daily sequence from the index on its last 4 characters: never a walk of the table.
"""

from __future__ import annotations

import pytest
from flask import g

from models import db
from tests import grid_data
from tests.conftest import actor_of, system
from tests.test_grid_plans import plan, statements


@pytest.fixture
def rows(app, world):
    with system():
        grid_data.load(world)
    return world


def view_of(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def plans_of(app, view, person, term: str) -> tuple[list[str], int]:
    """Every plan line of the list page's statements, and the rows' count."""
    with app.test_request_context("/"), system():
        g.actor = actor_of(person)
        with statements() as log:
            count, rows = view.get_list(0, None, False, term, [])
            rows = list(rows)
        lines = [line for sql, params in log for line in plan(sql, params)]
    assert not any(" LIKE " in sql.upper() for sql, _params in log), log  # never '%…'
    return lines, count


def walks(lines: list[str], table: str) -> list[str]:
    """Plan lines that read `table` whole (SQLite SCAN without an index, PG Seq Scan)."""
    return [
        line
        for line in lines
        if (line.startswith(f"SCAN {table}") and "INDEX" not in line)
        or f"Seq Scan on {table} " in line
    ]


LAST4_INDEX = {
    "sales1": "customer_owner_phone_last4",
    "store1": "customer_store_phone_last4",
    "owner": "customer_phone_last4",
}


def test_a_last4_search_uses_a_last4_index_in_each_scope(app, rows):
    view = view_of(app, "customer")
    customer = view.model
    for who, index in LAST4_INDEX.items():
        owner = rows.sales1 if who == "owner" else getattr(rows, who)
        with system():
            query = customer.select(customer.phone).where(customer.owner == owner.id)
            phone = query.order_by(customer.id.desc()).scalar()
        lines, count = plans_of(app, view, getattr(rows, who), phone[-4:])
        assert count >= 1, who
        # SQLite takes the scope's own index; PostgreSQL may take the company-wide one (a last
        # 4 digits value is held by one number in 10,000) and check the scope on those rows
        used = {i for i in LAST4_INDEX.values() if any(i in line for line in lines)}
        assert index in used or (db.obj.param != "?" and used), f"{who}\n" + "\n".join(lines)
        assert not walks(lines, "customer"), f"{who}\n" + "\n".join(lines)


def test_an_order_number_part_search_uses_the_tail_index(app, rows):
    view = view_of(app, "sales_order")
    for who in ("supervisor", "sales1", "store1"):
        lines, count = plans_of(app, view, getattr(rows, who), "0008")
        assert who != "supervisor" or count >= 1  # SO-T-000008, SO-T-001008…
        assert any("sales_order_number_tail" in line for line in lines), f"{who}\n" + "\n".join(
            lines
        )
        assert not walks(lines, "sales_order"), f"{who}\n" + "\n".join(lines)
