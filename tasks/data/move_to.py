"""`move-to URL`: copy this SQLite installation into an empty PostgreSQL database.

The target gets the numbered migrations, then, in one transaction: each custom field's column
(`x_...`, the same ALTER TABLE and index as models/custom_fields.py), every table's rows in
foreign-key order in batches, and each id sequence set past the highest id. Both sides are then
compared table by table: row count and md5 of the rows in key order, each value rendered the
same way whichever database it came from. The source is read inside one read transaction, so a
live installation is copied as of one moment.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from psycopg2 import Error as PgError
from psycopg2.extras import execute_values

from models import custom_fields
from models.db import db, open_database
from models.migrations import LATEST, current_version, migrate
from tasks.data.tables import (
    FETCH,
    PG_KINDS,
    Summary,
    convert,
    dependency_order,
    digest,
    quoted,
    select_sql,
    sqlite_columns,
    sqlite_key,
    sqlite_tables,
)


class MoveError(Exception):
    """move-to refused or failed; nothing was copied (the target's transaction rolled back)."""


@dataclass
class Table:
    name: str
    columns: list[str]
    key: list[str]
    kinds: list[str]


@dataclass
class Check:
    table: str
    source: Summary
    target: Summary

    @property
    def ok(self) -> bool:
        return self.source == self.target


def move_to(source: Path, url: str, batch: int = FETCH, echo: Callable = print) -> list[Check]:
    """Copy the SQLite file `source` into the PostgreSQL database at `url`; return the checks."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise MoveError("move-to copies into PostgreSQL: give a postgresql://... URL")
    if not source.is_file():
        raise MoveError(f"no SQLite database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, isolation_level=None, timeout=30)
    previous = db.obj
    target = open_database(url)
    try:
        src.execute("BEGIN")  # one snapshot for the copy and its checks
        version = source_version(src)
        with db.connection_context():
            prepare_target(url)
            custom_fields.reset()  # the shipped models: custom columns come from the source
            migrate()
            if current_version() != version:
                raise MoveError(
                    f"the target is at schema version {current_version()}, not {version}"
                )
            echo(f"target migrated to schema version {version}; copying")
            tables = copy_all(src, batch, echo)
            return [check(src, table) for table in tables]
    finally:
        src.close()
        target.close_all()
        db.initialize(previous)


def source_version(src: sqlite3.Connection) -> int:
    if "schema_version" not in sqlite_tables(src):
        raise MoveError("the source is not a MingCRM database (no schema_version table)")
    version = src.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    if version != LATEST:
        raise MoveError(
            f"the source is at schema version {version}, this release at {LATEST}: "
            "run `flask --app app migrate` first"
        )
    return version


def prepare_target(url: str) -> None:
    """Create the URL's schema if it names one; refuse a target that holds any row."""
    schema = parse_qs(urlparse(url).query).get("schema", [""])[0]
    if schema:
        db.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema)}")
    full = []
    for table in target_columns():
        if table == "schema_version":
            continue
        rows = db.execute_sql(f"SELECT COUNT(*) FROM {quoted(table)}").fetchone()[0]
        if rows:
            full.append(f"{table} ({rows} rows)")
    if full:
        raise MoveError(
            "the target is not empty: "
            + ", ".join(full)
            + ". move-to never overwrites data: give an empty database or a new ?schema=."
        )


def target_columns() -> dict[str, dict[str, str]]:
    """{table: {column: data type}} in the target's current schema."""
    rows = db.execute_sql(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
        "WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, {})[column] = kind
    return out


def plan(src: sqlite3.Connection) -> list[Table]:
    """The tables to copy in dependency order, after giving the target every custom field's
    column; refuse any other difference between the two schemas."""
    names = [t for t in sqlite_tables(src) if t != "schema_version"]
    fields = {}
    if "custom_field" in names:
        rows = src.execute('SELECT "table", name, kind FROM custom_field')
        fields = {(table, name): kind for table, name, kind in rows}
    have = target_columns()
    problems = [f"table {t} is not in the target schema" for t in names if t not in have]
    for table in names:
        for column in sqlite_columns(src, table):
            if column in have.get(table, {}):
                continue
            if (table, column) in fields:
                for statement in custom_fields.column_ddl(table, column, fields[table, column]):
                    db.execute_sql(statement)
            elif table in have:
                problems.append(f"column {table}.{column} is not in the target schema")
    have = target_columns()
    for table in names:
        extra = set(have.get(table, {})) - set(sqlite_columns(src, table))
        problems += [f"the target has a column {table}.{c} the source lacks" for c in extra]
    if problems:
        raise MoveError("the schemas differ: " + "; ".join(sorted(problems)))
    out = []
    for table in dependency_order(src, names):
        columns = sqlite_columns(src, table)
        kinds = [PG_KINDS.get(have[table][c], "text") for c in columns]
        out.append(Table(table, columns, sqlite_key(src, table), kinds))
    return out


def copy_all(src: sqlite3.Connection, batch: int, echo: Callable) -> list[Table]:
    with db.atomic():
        tables = plan(src)
        cursor = db.cursor()
        for table in tables:
            columns = ", ".join(map(quoted, table.columns))
            insert = f"INSERT INTO {quoted(table.name)} ({columns}) VALUES %s"
            rows = src.execute(select_sql(table.name, table.columns, table.key))
            copied = 0
            while chunk := rows.fetchmany(batch):
                values = [tuple(map(convert, table.kinds, row)) for row in chunk]
                try:
                    execute_values(cursor, insert, values, page_size=batch)
                except PgError as exc:
                    first = dict(zip(table.columns, chunk[0], strict=True)).get("id")
                    raise MoveError(
                        f"{table.name}: the batch from id {first} was refused: {str(exc).strip()}"
                    ) from exc
                copied += len(chunk)
            echo(f"  {table.name}: {copied} rows")
            reset_sequence(table)
    return tables


def reset_sequence(table: Table) -> None:
    """The next id PostgreSQL hands out is past every copied one."""
    if table.key != ["id"]:
        return
    sequence = db.execute_sql(
        "SELECT pg_get_serial_sequence(%s, 'id')", (quoted(table.name),)
    ).fetchone()[0]
    if sequence:
        db.execute_sql(
            f"SELECT setval(%s, COALESCE((SELECT MAX(id) FROM {quoted(table.name)}), 0) + 1,"
            " false)",
            (sequence,),
        )


def check(src: sqlite3.Connection, table: Table) -> Check:
    """Row count and checksum of one table, on both sides, rendered by the target's kinds."""
    sql = select_sql(table.name, table.columns, table.key)
    source = digest(src.execute(sql), table.kinds)
    with db.atomic():  # a server-side cursor: the rows stream, whatever the table's size
        with db.connection().cursor(name=f"check_{table.name}", withhold=True) as cursor:
            cursor.itersize = FETCH
            cursor.execute(sql)
            target = digest(cursor, table.kinds)
    return Check(table.name, source, target)
