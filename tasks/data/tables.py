"""Which tables a database holds, the order to copy them in, and a per-table checksum that
reads the same on SQLite and PostgreSQL: the rows in key order, each value rendered
canonically for its column's kind, through md5."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FETCH = 2000  # rows per round trip, read and write

# A PostgreSQL column type -> the kind its values are rendered and converted as.
PG_KINDS = {
    "boolean": "bool",
    "smallint": "int",
    "integer": "int",
    "bigint": "int",
    "numeric": "num",
    "real": "float",
    "double precision": "float",
    "timestamp without time zone": "ts",
    "date": "date",
    "bytea": "bytes",
}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(con: sqlite3.Connection) -> list[str]:
    """The database's own tables (not SQLite's), by name."""
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name"
    )
    return [name for (name,) in rows]


def sqlite_columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA table_info({quoted(table)})")]


def sqlite_key(con: sqlite3.Connection, table: str) -> list[str]:
    """The primary key's columns in key order (every column when the table has none)."""
    info = list(con.execute(f"PRAGMA table_info({quoted(table)})"))
    key = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    return key or [row[1] for row in info]


def dependency_order(con: sqlite3.Connection, tables: list[str]) -> list[str]:
    """`tables` with each one after the tables its foreign keys point to (ValueError on a
    cycle: such rows could not be copied table by table)."""
    needs = {
        t: {row[2] for row in con.execute(f"PRAGMA foreign_key_list({quoted(t)})")} & set(tables)
        for t in tables
    }
    order: list[str] = []
    while len(order) < len(tables):
        ready = [t for t in tables if t not in order and needs[t] - {t} <= set(order)]
        if not ready:
            left = ", ".join(t for t in tables if t not in order)
            raise ValueError(f"the foreign keys of these tables form a cycle: {left}")
        order += ready
    return order


def render(kind: str, value: Any) -> str:
    """One value as text, the same whichever database it was read from."""
    if value is None:
        return "\\N"
    if kind == "bool":
        return "1" if value else "0"
    if kind == "int":
        return str(int(value))
    if kind == "num":
        return format(Decimal(str(value)).normalize(), "f")
    if kind == "float":
        return repr(float(value))
    if kind == "ts":
        return (value if isinstance(value, datetime) else datetime.fromisoformat(value)).isoformat(
            " "
        )
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if kind == "raw":  # SQLite against SQLite: the stored type counts too
        return f"{type(value).__name__}:{value}"
    return str(value)


def convert(kind: str, value: Any) -> Any:
    """A value read from SQLite as PostgreSQL's column of that kind takes it."""
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "num":
        return Decimal(str(value))
    if kind == "text" and not isinstance(value, str):
        return str(value)
    return value


@dataclass(frozen=True)
class Summary:
    rows: int
    md5: str


def digest(rows: Any, kinds: list[str]) -> Summary:
    """Count and md5 of rows (an iterable of tuples) rendered by `kinds`."""
    md5 = hashlib.md5(usedforsecurity=False)
    count = 0
    for row in rows:
        md5.update("\x1f".join(map(render, kinds, row)).encode() + b"\x1e")
        count += 1
    return Summary(count, md5.hexdigest())


def select_sql(table: str, columns: list[str], key: list[str]) -> str:
    return (
        f"SELECT {', '.join(map(quoted, columns))} FROM {quoted(table)} "
        f"ORDER BY {', '.join(map(quoted, key))}"
    )


def sqlite_summaries(con: sqlite3.Connection, tables: list[str] | None = None) -> dict:
    """{table: Summary} of a SQLite database, every value rendered with its stored type."""
    out = {}
    for table in tables if tables is not None else sqlite_tables(con):
        columns = sqlite_columns(con, table)
        cursor = con.execute(select_sql(table, columns, sqlite_key(con, table)))
        out[table] = digest(cursor, ["raw"] * len(columns))
    return out
