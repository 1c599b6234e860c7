"""Housekeeping jobs: the nightly SQLite backup."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from models.db import db, is_postgres
from rules import settings
from tasks import Done, job
from tasks.data.backup import backup_sqlite


@job("backup_database")
def backup_database(now: datetime) -> Done:
    """Copy the SQLite database with the online backup API (checked, renamed into place, as
    `flask backup` does); keep the newest [backup] keep."""
    if is_postgres():
        return Done(
            "backup_database: PostgreSQL is backed up with pg_dump by the operator; skipped",
            {"left_to_pg_dump": 1},
        )
    backup_dir = Path(db.obj.database).parent / "backups"
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"mingcrm-{now:%Y%m%d-%H%M%S}.db"
    backup_sqlite(Path(db.obj.database), target)  # the `backup` command's own path
    copies = sorted(backup_dir.glob("mingcrm-*.db"))
    for old in copies[: -settings().backup.keep]:
        old.unlink()
    kept = min(len(copies), settings().backup.keep)
    return Done(
        f"backup_database: wrote {target.name}, keeping {kept}",
        {"backup_file": target.name, "backups_kept": kept},
    )
