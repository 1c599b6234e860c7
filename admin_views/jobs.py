"""The job log grid: every run of every periodic job, read-only (owner by default)."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from admin_views.base import GuardedModelView
from admin_views.i18n_extra import key_text
from models.jobs import JobRun

JOB_LABELS = {
    "reclaim_customers": _l("Return neglected customers to the pool"),
    "followup_tasks": _l("Create follow-up tasks"),
    "backup_database": _l("Back up the database"),
    "clean_exports": _l("Remove old export files"),
}
OUTCOME_LABELS = {
    "running": _l("Running"),
    "ok": _l("Done"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped: already running"),
    "interrupted": _l("Interrupted: its lock expired before it finished"),
}
# What each job counts (JobRun.counts keys); follow-up task reasons are translated as such.
COUNT_LABELS = {
    "returned_to_pool": _l("returned to the pool"),
    "customers_warned": _l("customers warned"),
    "new_tasks": _l("new tasks"),
    "backup_file": _l("backup file"),
    "backups_kept": _l("backups kept"),
    "left_to_pg_dump": _l("left to pg_dump (PostgreSQL)"),
    "export_files_removed": _l("export files removed"),
}


def _label(labels: dict[str, Any], key: str) -> str:
    return str(labels[key]) if key in labels else key_text(key)  # task reasons


def counts_text(view: Any, context: Any, model: Any, name: str) -> str:
    """The run's counts as "label: value" in the person's language (plain text, for export)."""
    return "; ".join(f"{_label(COUNT_LABELS, k)}: {v}" for k, v in model.count_dict.items())


class JobRunView(GuardedModelView):
    column_list = ("job", "started_at", "finished_at", "outcome", "counts", "error")
    column_filters = (
        FilterEqual(JobRun.job, _l("Job"), options=list(JOB_LABELS.items())),
        FilterEqual(JobRun.outcome, _l("Outcome"), options=list(OUTCOME_LABELS.items())),
        "started_at",
    )
    column_default_sort = ("started_at", True)
    column_sortable_list = ("job", "started_at", "finished_at", "outcome")
    column_formatters = {
        "job": lambda v, c, m, n: _label(JOB_LABELS, m.job),
        "outcome": lambda v, c, m, n: _label(OUTCOME_LABELS, m.outcome),
        "counts": counts_text,
    }
    column_labels = {
        "job": _l("Job"),
        "started_at": _l("Started"),
        "finished_at": _l("Finished"),
        "outcome": _l("Outcome"),
        "counts": _l("Counts"),
        "error": _l("Error"),
    }
    never = frozenset({"create", "edit", "delete"})

    def scaffold_form(self) -> Any:
        return super(GuardedModelView, self).scaffold_form()
