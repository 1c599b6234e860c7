"""A SQLite installation for a test, whichever database the suite runs on (backup, restore and
move-to start from a SQLite file), and the test PostgreSQL server for a private schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from flask import Flask

from app import create_app
from models import db
from models.migrations import migrate
from tests.services import reachable, required


@dataclass
class Site:
    app: Flask
    path: Path

    def invoke(self, *args: str):
        return self.app.test_cli_runner().invoke(args=list(args))


@contextmanager
def sqlite_site(overrides: dict, path: Path) -> Iterator[Site]:
    """A migrated SQLite database at `path` behind a fresh app."""
    app = create_app(overrides={**overrides, "database": {"url": f"sqlite:///{path}"}})
    app.config.update(TESTING=True)
    with db.connection_context():
        migrate()
    yield Site(app, path)
    if not db.is_closed():
        db.close()


def postgres_url() -> str:
    """The test PostgreSQL server (the suite's, else MINGCRM_TEST_POSTGRES); skip the test when
    none answers, fail when CI requires it."""
    url = os.environ.get("MINGCRM_TEST_DATABASE_URL") or reachable("postgres")
    if not url:
        if required():
            pytest.fail("PostgreSQL is required (MINGCRM_REQUIRE_SERVICES=1) but does not answer")
        pytest.skip("no PostgreSQL: set MINGCRM_TEST_POSTGRES or MINGCRM_TEST_DATABASE_URL")
    return url.split("?")[0]


def run_sql(base: str, sql: str) -> None:
    with psycopg2.connect(base) as con, con.cursor() as cur:
        cur.execute(sql)


@contextmanager
def private_schema(prefix: str) -> Iterator[tuple[str, str]]:
    """(server URL, schema name): a schema of this test process's own on the test PostgreSQL
    server, absent at the start and dropped at the end."""
    base = postgres_url()
    name = f"{prefix}_{os.getpid()}"
    run_sql(base, f"DROP SCHEMA IF EXISTS {name} CASCADE")
    try:
        yield base, name
    finally:
        run_sql(base, f"DROP SCHEMA IF EXISTS {name} CASCADE")
