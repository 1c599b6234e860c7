"""`backup`: a consistent copy of the live database while people keep working.

SQLite: sqlite3's online backup API copies every page in one step, inside one read
transaction, so the copy is the database as of one moment however many writers are busy (WAL
readers never block them). It is written to a temporary file, switched to a self-contained
rollback journal, checked with PRAGMA integrity_check, then renamed into place.

PostgreSQL: pg_dump, when it is on the PATH (its own consistent snapshot), in its custom format
for pg_restore; otherwise the command says how to run it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlparse, urlunparse

from tasks.data.tables import quoted, sqlite_tables

PG_DUMP_HINT = (
    "pg_dump is not on the PATH. Back up PostgreSQL with its own tool (install the "
    "postgresql-client package), e.g.:\n"
    "  pg_dump --format=custom --no-owner --file=mingcrm.dump [--schema=SCHEMA] "
    "postgresql://USER@HOST:5432/DB"
)


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass
class Inspection:
    """What a SQLite file holds: integrity_check's answer, schema version, rows per table."""

    integrity: str
    version: int | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]
    version: int | None = None


def inspect(con: sqlite3.Connection) -> Inspection:
    integrity = "; ".join(row[0] for row in con.execute("PRAGMA integrity_check(5)"))
    tables = sqlite_tables(con)
    version = None
    if "schema_version" in tables:
        version = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    counts = {t: con.execute(f"SELECT COUNT(*) FROM {quoted(t)}").fetchone()[0] for t in tables}
    return Inspection(integrity, version, counts)


def target_path(to: str | None, folder: Path, suffix: str) -> Path:
    """Where the backup goes: --to as a file, a new file inside --to when it is a folder, or a
    new file in `folder`; an existing file is never overwritten."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"mingcrm-{stamp}{suffix}"
    path = Path(to) if to else folder / name
    if path.is_dir():
        path = path / name
    if path.exists():
        raise BackupError(f"{path} already exists; name another file with --to")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def install(tmp: Path, dest: Path) -> None:
    """Rename a finished file into place, durably (the file, then its folder)."""
    _fsync(tmp)
    os.replace(tmp, dest)
    _fsync(dest.parent)


def temp_beside(path: Path, tag: str) -> Path:
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}.tmp")


def copy_sqlite(source: sqlite3.Connection, tmp: Path) -> Inspection:
    """Copy `source` into the new file `tmp` as one snapshot; return what the copy holds."""
    dest = sqlite3.connect(tmp)
    try:
        source.backup(dest)  # pages=-1: every page in one step, one read transaction
        dest.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        return inspect(dest)
    finally:
        dest.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clear_orphans(folder: Path, tag: str) -> list[Path]:
    """Remove the temp files a killed backup left in `folder` (their process is gone); a
    running backup's own temp file is left alone."""
    gone = []
    for tmp in folder.glob(f".*.{tag}-*.tmp"):
        pid = tmp.name.rsplit("-", 1)[-1].removesuffix(".tmp")
        if pid.isdigit() and not alive(int(pid)):
            tmp.unlink(missing_ok=True)
            gone.append(tmp)
    return gone


def backup_sqlite(source: Path, dest: Path) -> BackupResult:
    """Back up the live SQLite file `source` into `dest` (which must not exist yet)."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    clear_orphans(dest.parent, "backup")  # a backup killed mid-copy left its temp file
    tmp = temp_beside(dest, "backup")
    try:
        con = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=30)
        try:
            found = copy_sqlite(con, tmp)
        finally:
            con.close()
        if found.integrity != "ok":
            raise BackupError(f"the copy failed PRAGMA integrity_check: {found.integrity}")
        install(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(dest, dest.stat().st_size, found.counts, found.version)


def pg_command(url: str, dest: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments and environment for a MingCRM URL (its ?schema= becomes --schema,
    the password goes through PGPASSWORD, never the process list)."""
    parts = urlparse(url)
    query = parse_qs(parts.query)
    schema = query.pop("schema", [""])[0]
    env = dict(os.environ)
    netloc = parts.hostname or "127.0.0.1"
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    conninfo = urlunparse(("postgresql", netloc, parts.path, "", urlencode(query, True), ""))
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={dest}"]
    if schema:
        command.append(f"--schema={schema}")
    return [*command, f"--dbname={conninfo}"], env


def backup_postgres(url: str, dest: Path) -> BackupResult:
    if shutil.which("pg_dump") is None:
        raise BackupError(PG_DUMP_HINT)
    tmp = temp_beside(dest, "backup")
    command, env = pg_command(url, tmp)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        install(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(dest, dest.stat().st_size, {})
