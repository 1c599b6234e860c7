"""Exports too large for a request (issue 10 item 5). Up to `[exports] job_rows` rows (the
person's scope, search and filters) an export streams as before. Beyond that the export link
asks to prepare the file; that POST (CSRF-checked) starts a job writing it as the person
(admin_views/export_job_run.py) and opens its progress page. The inbox links to the file when
it is ready. Only the person who asked sees the run or downloads the file; each download is
logged like a streamed export.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, request, send_file
from flask_admin import expose

from admin_views import select_locale
from admin_views.export import XLSX_MIMETYPE, record_export
from models.export_run import ExportRun
from rules import settings
from rules.workflow_bulk_run import claim_resume, stalled
from tasks.exports import export_file_later, file_of

MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MIMETYPE}


def job_rows() -> int:
    """The largest export that streams in the request."""
    return settings().exports.job_rows


class ExportJobMixin:
    """Mix into a grid before ExportMixin: the job path of its export."""

    @expose("/export/<export_type>/", methods=("GET", "POST"))
    def export(self, export_type: str) -> Any:
        """Stream a small export; offer (GET) or start (POST) the job for a large one."""
        if not self.can_export or export_type not in self.export_types:
            return super().export(export_type)  # refused as before
        limit = job_rows()
        if not self.export_over(limit):
            return super().export(export_type)
        if request.method != "POST":
            return self.render("grid/export_job.html", limit=f"{limit:,}")
        run = self.start_export_job(export_type)
        return redirect(self.get_url(".export_run_view", id=run.id))

    def export_over(self, limit: int) -> bool:
        """True when the export would hold more than `limit` rows (reads at most limit + 1
        keys, so a small export's first byte is not held up by a count of a big table)."""
        args = self._get_list_extra_args()
        keys, _count = self.filtered_keys(args.search, args.filters)
        return keys.limit(1).offset(limit).scalar() is not None

    def start_export_job(self, export_type: str) -> ExportRun:
        """Record the run (who asks, the grid's arguments, their language, the row count)
        and queue the job."""
        args = self._get_list_extra_args()
        _keys, count = self.filtered_keys(args.search, args.filters)
        run = ExportRun.create(
            person_id=g.actor.id,
            person_name=g.actor.username,
            grid=self.endpoint,
            model=self.model_key,
            format=export_type,
            args=request.query_string.decode("utf-8", "replace"),
            locale=select_locale(),
            search=(args.search or "")[:200],
            filters="; ".join(self.export_filters()),
            total=count.scalar(),
        )
        self._queue_export(run)
        return run

    def _queue_export(self, run: ExportRun) -> None:
        try:
            export_file_later(run.id)
        except Exception:  # noqa: BLE001 - immediate mode raises here; the run records it
            pass

    def _own_export(self) -> ExportRun:
        """The run named by ?id= if the person asked for it on this grid; else 404 (the
        owner included: a file holds what its person may see, in their words)."""
        run = ExportRun.get_or_none(ExportRun.id == request.values.get("id", 0, type=int))
        if run is None or run.person_id != g.actor.id or run.grid != self.endpoint:
            abort(404)
        return run

    @expose("/export_run/")
    def export_run_view(self) -> Any:
        """The run's progress (the page reloads itself while it runs), its error, the file."""
        run = self._own_export()
        return self.render(
            "grid/export_run.html",
            run=run,
            shown="stalled" if stalled(run) else run.state,
            done=f"{run.done:,}",
            total=f"{run.total:,}",
            keep_days=settings().exports.keep_days,
        )

    @expose("/export_run/file/")
    def export_run_file_view(self) -> Any:
        """The finished file, to its person only; logged in the export log."""
        run = self._own_export()
        if not self.can_export:
            abort(403)
        path = file_of(run)
        if run.state != "done" or not path.is_file():
            abort(404)
        record_export(run.grid, run.model, run.format, run.done, run.search,
                      [run.filters] if run.filters else [])  # fmt: skip
        return send_file(
            path,
            mimetype=MIMETYPES[run.format],
            as_attachment=True,
            download_name=self.export_filename(run.format),
        )

    @expose("/export_run/again/", methods=("POST",))
    def export_run_again_view(self) -> Any:
        """Write a failed or stalled run's file again, from the start."""
        run = self._own_export()
        if claim_resume(run):
            self._queue_export(run)
        return redirect(self.get_url(".export_run_view", id=run.id))
