"""Export jobs (issue 10 item 5): an export larger than `[exports] job_rows` is written to a
file by a job, as the person who asked; the inbox then links to the file."""

from __future__ import annotations

from pathlib import Path

from models.export_run import ExportRun
from rules import settings
from rules.config import PROJECT_DIR
from tasks import huey


def folder() -> Path:
    """Where export files live (`[exports] folder`; relative paths under the project)."""
    path = Path(settings().exports.folder)
    return path if path.is_absolute() else PROJECT_DIR / path


def file_of(run: ExportRun) -> Path:
    return folder() / run.file_name


@huey.task(name="export_file")
def export_file_later(run_id: int) -> int:
    """The job: write the run's file (admin_views/export_job_run.py); the rows written."""
    from admin_views.export_job_run import write_run

    return write_run(run_id)
