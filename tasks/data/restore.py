"""`restore PATH`: put a SQLite backup in place of the configured SQLite database.

The backup is checked first (a SQLite file, PRAGMA integrity_check ok, a MingCRM schema at a
version this release knows), copied beside the live file, and renamed over it in one step. The
live database must be idle: its WAL is folded back and an exclusive lock is held while its
current content is kept as `<file>.before-restore` and the new file takes its place.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from models.migrations import LATEST
from tasks.data.backup import BackupError, Inspection, copy_sqlite, install, temp_beside

IN_USE = (
    "{path} is in use by another process (web server, job consumer or shell). Stop them all, "
    "then run restore again."
)


@dataclass
class RestoreResult:
    found: Inspection
    previous: Path | None


def check_backup(path: Path, tmp: Path) -> Inspection:
    """Copy the backup at `path` into `tmp` and check the copy is a sound MingCRM database."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = copy_sqlite(con, tmp)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    if found.integrity != "ok":
        raise BackupError(f"{path} failed PRAGMA integrity_check: {found.integrity}")
    if found.version is None:
        raise BackupError(f"{path} is not a MingCRM database (it has no schema_version table)")
    if not 1 <= found.version <= LATEST:
        raise BackupError(
            f"{path} is at schema version {found.version}; this release knows versions 1 to "
            f"{LATEST}. Restore it with the release that made it."
        )
    return found


def before_restore_path(live: Path) -> Path:
    path = live.with_name(live.name + ".before-restore")
    if path.exists():  # an earlier restore's copy is kept too
        path = path.with_name(f"{path.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    return path


def take_over(live: Path) -> sqlite3.Connection:
    """Hold the live database alone: out of WAL (which needs every other connection closed),
    then an exclusive lock, so nobody reads or writes it until the connection closes."""
    con = sqlite3.connect(live, isolation_level=None, timeout=2)
    try:
        mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode != "delete":
            raise BackupError(IN_USE.format(path=live))
        con.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as exc:
        con.close()
        raise BackupError(IN_USE.format(path=live)) from exc
    except BaseException:
        con.close()
        raise
    for extra in ("-wal", "-shm", "-journal"):
        if live.with_name(live.name + extra).exists():
            con.close()
            raise BackupError(IN_USE.format(path=live))
    return con


def restore_sqlite(backup: Path, live: Path) -> RestoreResult:
    """Replace the database file `live` with the checked backup, keeping the old one."""
    tmp = temp_beside(live, "restore")
    try:
        found = check_backup(backup, tmp)
        if not live.exists():
            live.parent.mkdir(parents=True, exist_ok=True)
            install(tmp, live)
            return RestoreResult(found, None)
        con = take_over(live)
        try:
            previous = before_restore_path(live)
            kept = temp_beside(previous, "keep")
            try:
                shutil.copyfile(live, kept)  # consistent: one file, exclusively locked
                install(kept, previous)
            finally:
                kept.unlink(missing_ok=True)
            install(tmp, live)
        finally:
            con.close()
    finally:
        tmp.unlink(missing_ok=True)
    return RestoreResult(found, previous)
