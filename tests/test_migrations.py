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
