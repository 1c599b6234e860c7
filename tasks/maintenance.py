"""Housekeeping jobs: the nightly SQLite backup; old export files."""

from __future__ import annotations

from datetime import datetime, timedelta
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


@job("clean_exports")
def clean_exports(now: datetime) -> Done:
    """Remove export files (issue 10 item 5) older than [exports] keep_days: finished runs,
    and half-written files of runs whose worker died; their runs are marked expired."""
    from peewee import fn

    from models.export_run import ExportRun
    from tasks.exports import file_of

    cutoff = now - timedelta(days=settings().exports.keep_days)
    old = (ExportRun.state.in_(("done", "failed")) & (ExportRun.finished_at < cutoff)) | (
        (ExportRun.state == "running")
        & (fn.COALESCE(ExportRun.beat_at, ExportRun.started_at) < cutoff)
    )
    removed = 0
    for run in ExportRun.select().where(old):
        for path in (file_of(run), file_of(run).with_name(f"{run.file_name}.part")):
            if path.exists():
                path.unlink()
                removed += 1
        ExportRun.update(state="expired").where(ExportRun.id == run.id).execute()
    return Done(f"clean_exports: removed {removed} files", {"export_files_removed": removed})
