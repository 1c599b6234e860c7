"""Open the configured database: SQLite (embedded default) or pooled PostgreSQL (scale-out)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

from rules.config import PROJECT_DIR

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "cache_size": -64000,
    "synchronous": "normal",
    "busy_timeout": 10000,
}


def sqlite_path(url: str) -> Path:
    """Return the file behind a sqlite:/// URL; relative paths are under the project folder."""
    raw = unquote(url[len("sqlite:///") :])
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path


def open_database(url: str) -> SqliteDatabase | PostgresqlDatabase:
    """Build the database object for `url` and point the shared proxy at it.

    PostgreSQL URLs may name a schema: postgresql://user@host/db?schema=mingcrm
    """
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        database = SqliteDatabase(
            str(path), pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE"
        )
    else:
        parts = urlparse(url)
        schema = parse_qs(parts.query).get("schema", [""])[0]
        extra = {"options": f"-c search_path={schema}"} if schema else {}
        database = PooledPostgresqlDatabase(
            parts.path.lstrip("/"),
            user=unquote(parts.username or "") or None,
            password=unquote(parts.password or "") or None,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            max_connections=32,
            stale_timeout=300,
            autoconnect=True,
            **extra,
        )
    db.initialize(database)
    return database


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def table_exists(name: str) -> bool:
    """True when `name` exists where queries look (PostgreSQL: on the search_path)."""
    if is_postgres():
        return db.execute_sql("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]
    return db.table_exists(name)
