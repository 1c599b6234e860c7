"""`flask --app app move-to URL` (issue 11 item 1): a SQLite installation, with the demo
company's orders, stock and points and a custom field of every kind (one of them removed, its
column kept), is copied into a private PostgreSQL schema; counts and checksums match; the
sequences continue past the copied ids; a non-empty target, a bent copy and a refused batch
each end with a clear message and a non-zero exit, and nothing half-copied."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import psycopg2
import pytest

from models import Customer, Product
from models import custom_fields as store
from models.demo import seed
from models.migrations import LATEST
from rules import custom_fields as cf
from tasks.data import move_to as move_module
from tests.conftest import system
from tests.sqlite_site import private_schema, run_sql, sqlite_site

FIELDS = [
    ("customer", "text", {}),
    ("customer", "number", {}),
    ("customer", "money", {}),
    ("customer", "date", {}),
    ("customer", "choice", {"choices": (("fair", "Trade fair", "展会"),)}),
    ("customer", "yesno", {}),
    ("customer", "link", {"link": "product"}),
    ("product", "text", {}),
]


@pytest.fixture(autouse=True)
def _clean_models():
    yield
    store.reset()  # the next test's database has none of these columns


@pytest.fixture
def source(overrides, tmp_path):
    """The demo company on SQLite, with custom values on the first three customers."""
    with sqlite_site(overrides, tmp_path / "shop.db") as site:
        with system():
            seed(customers=30)
            for table, kind, extra in FIELDS:
                d = cf.Definition(table, f"x_{table[:4]}_{kind}", kind, kind, kind, **extra)
                store.add(d, "owner")
            product = Product.select().order_by(Product.id).first()
            values = ["展会来客", 3, Decimal("12.50"), date(2026, 1, 2), "fair", True, product.id]
            for i, customer in enumerate(Customer.select().order_by(Customer.id).limit(3)):
                for (_, kind, _), value in zip(FIELDS, values, strict=False):
                    setattr(customer, f"x_cust_{kind}", value if i < 2 else None)
                customer.save()
            product.x_prod_text = "=HYPERLINK(1)"
            product.save()
            store.hide(store.CustomField.get(name="x_prod_text"), tmp_path / "removed")
        yield site


@pytest.fixture
def target():
    """A URL naming a private schema on the test PostgreSQL server (dropped after)."""
    with private_schema("mingcrm_move") as (base, name):
        yield f"{base}?schema={name}"


def pg(url: str, sql: str, params=None) -> list:
    base, schema = url.split("?schema=")
    with psycopg2.connect(base, options=f"-c search_path={schema}") as con:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


def sqlite_counts(path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: con.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def pg_counts(url: str, tables) -> dict[str, int]:
    return {t: pg(url, f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in tables}


def test_move_to_copies_every_table_and_custom_column_and_checks_them(source, target):
    result = source.invoke("move-to", target, "--batch", "5")  # several batches per table
    assert result.exit_code == 0, result.output
    counts = sqlite_counts(source.path)
    del counts["schema_version"]
    assert min(counts[t] for t in ("customer", "sales_order", "stock_move", "audit_log")) > 5
    for table in counts:
        assert any(
            line.split()[0] == table and line.split()[-1] == "ok"
            for line in result.output.splitlines()
        ), table
    assert "MISMATCH" not in result.output and "every table matches" in result.output
    assert pg_counts(target, counts) == counts
    assert pg(target, "SELECT MAX(version) FROM schema_version") == [(LATEST,)]

    first, second, third = pg(
        target,
        "SELECT x_cust_text, x_cust_number, x_cust_money, x_cust_date, x_cust_choice,"
        " x_cust_yesno, x_cust_link FROM customer ORDER BY id LIMIT 3",
    )
    assert first == second and third == (None,) * 7
    assert first[:6] == ("展会来客", 3, Decimal("12.50"), date(2026, 1, 2), "fair", True)
    assert pg(target, "SELECT COUNT(*) FROM product WHERE x_prod_text = '=HYPERLINK(1)'") == [(1,)]
    listed = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    indexes = {n for (n,) in pg(target, listed) if n.startswith("cf_")}
    assert {f"cf_customer_x_cust_{k}" for k in cf.KINDS} | {"cf_product_x_prod_text"} == indexes

    for table in ("customer", "sales_order", "audit_log", "stock_move", "custom_field"):
        top = pg(target, f'SELECT MAX(id) FROM "{table}"')[0][0]
        assert pg(target, f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id'))") == [
            (top + 1,)
        ], table

    again = source.invoke("move-to", target)
    assert again.exit_code == 1
    assert "the target is not empty: audit_log (" in again.output
    assert "move-to never overwrites data" in again.output
    assert pg_counts(target, counts) == counts


def test_a_copy_that_differs_is_reported_and_exits_non_zero(source, target, monkeypatch):
    real = move_module.convert

    def bent(kind, value):
        value = real(kind, value)
        return value + "·" if value == "展会来客" else value

    monkeypatch.setattr("tasks.data.move_to.convert", bent)
    result = source.invoke("move-to", target)
    assert result.exit_code == 1
    rows = {line.split()[0]: line.split()[-1] for line in result.output.splitlines() if line}
    assert rows["customer"] == "MISMATCH" and rows["sales_order"] == "ok"
    assert "the copy differs in: customer" in result.output


def test_a_refused_batch_leaves_the_target_empty_and_a_retry_works(source, target, monkeypatch):
    real = move_module.convert
    monkeypatch.setattr(
        "tasks.data.move_to.convert",
        lambda kind, value: "一月二日" if kind == "date" and value else real(kind, value),
    )
    result = source.invoke("move-to", target)
    assert result.exit_code == 1
    assert "the batch from id" in result.output and "was refused" in result.output
    counts = sqlite_counts(source.path)
    del counts["schema_version"]
    assert set(pg_counts(target, counts).values()) == {0}
    custom = (
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_name LIKE 'x\\_%'"
    )
    assert pg(target, custom) == []
    monkeypatch.undo()
    retry = source.invoke("move-to", target)
    assert retry.exit_code == 0, retry.output
    assert pg_counts(target, counts) == counts


def test_move_to_refuses_what_it_cannot_copy(source, target):
    wrong = source.invoke("move-to", "sqlite:////tmp/other.db")
    assert wrong.exit_code == 1 and "give a postgresql://... URL" in wrong.output
    base, schema = target.split("?schema=")
    run_sql(base, f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.notes (x int);"
                  f" INSERT INTO {schema}.notes VALUES (1)")  # fmt: skip
    full = source.invoke("move-to", target)
    assert full.exit_code == 1 and "the target is not empty: notes (1 rows)" in full.output
    con = sqlite3.connect(source.path)
    con.execute("DELETE FROM schema_version WHERE version = ?", (LATEST,))
    con.commit()
    con.close()
    old = source.invoke("move-to", target)
    assert old.exit_code == 1
    assert f"the source is at schema version {LATEST - 1}" in old.output
    assert "run `flask --app app migrate` first" in old.output
