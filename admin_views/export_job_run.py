"""The export job's work (issue 10 item 5): a run's file written by the very code that streams
an export (ExportMixin.csv_chunks / write_xlsx: same rows, columns, labels, formula guard, BOM),
inside a request context rebuilt from what was kept when the person asked: who they are (the
row scope is theirs, never SYSTEM's), the grid's search, filter and sort arguments, and their
language.

The job's connection holds the export's reading cursor (on PostgreSQL inside a transaction), so
its bookkeeping (progress per batch, the outcome, the inbox message) is written on a connection
of its own: on the reading one, PostgreSQL would show it only at the end, and SQLite would keep
the write lock until the last row.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any

from flask import Flask, current_app, g, has_app_context
from flask_babel import force_locale

from models.audit import utcnow
from models.db import db
from models.export_run import ExportRun
from models.staff import Staff
from rules import SYSTEM, acting_as, i18n, set_actor, settings
from rules.i18n import gettext as _
from rules.i18n import speaking
from tasks.exports import file_of

JOB_BATCH = 5000  # rows per written chunk and progress stamp
ERROR_CHARS = 2000
_APP: list[Flask] = []


class ExportRefused(Exception):
    """The person may no longer export this grid (role changed, account closed)."""


def use_app(app: Flask) -> None:
    """Remember this process's app (create_app): a worker's job builds its context from it."""
    _APP[:] = [app]


def write_run(run_id: int) -> int:
    """Write the run's file as its person; mark it done (or failed, re-raising) and tell them
    in their inbox. Idempotent: a finished run is left as it is. Returns the rows written."""
    if has_app_context():
        # Immediate mode (tests): queued inside the person's request. Its own thread gives the
        # job its own Flask contexts and connection, as in a worker.
        app = current_app._get_current_object()
        return on_own_thread(_write, app, run_id)
    if not _APP:
        raise RuntimeError("export job: no app in this process (create_app() builds it)")
    return _write(_APP[0], run_id)


def on_own_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) on a new thread (fresh context variables and database connection); its
    result, or its exception raised here."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="export-job")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def _write(app: Flask, run_id: int) -> int:
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return _write_connected(app, run_id)
        finally:
            if not db.is_closed():  # the request context's teardown closes it as a rule
                db.close()


def _write_connected(app: Flask, run_id: int) -> int:
    run = ExportRun.get_by_id(run_id)
    if run.state in ("done", "expired"):
        return run.done
    staff = Staff.get_or_none((Staff.id == run.person_id) & Staff.active)
    url = f"/admin/{run.grid}/export/{run.format}/?{run.args}"
    with app.test_request_context(url), force_locale(run.locale):
        view = None
        try:
            view = _as_person(app, staff, run)
            _book(run, state="running", error="", done=0, beat_at=utcnow())
            rows = _write_file(view, run)
        except Exception as exc:
            _book(run, state="failed", error=error_text(exc), finished_at=utcnow())
            _tell(run, staff, view)
            raise
        _book(run, state="done", done=rows, finished_at=utcnow())
        _tell(run, staff, view)
        return rows


def error_text(exc: Exception) -> str:
    """What the progress page says went wrong (a refusal as it reads, else the error)."""
    text = str(exc) if isinstance(exc, ExportRefused) else f"{type(exc).__name__}: {exc}"
    return text[:ERROR_CHARS]


def _as_person(app: Flask, staff: Staff | None, run: ExportRun) -> Any:
    """Act as the person in this context (as a request of theirs would); their grid, or
    ExportRefused when they may no longer export it."""
    from admin_views import custom_fields
    from admin_views.auth import SessionUser

    i18n.locale.set(run.locale)
    if staff is None:
        raise ExportRefused(_("This account is closed."))
    g._login_user = SessionUser(staff)  # flask_login's current_user
    g.actor = g._login_user.actor()
    set_actor(g.actor)
    custom_fields.before_request()  # fields the owner added since this process started
    for view in app.extensions["admin"][0]._views:
        if getattr(view, "endpoint", None) == run.grid and hasattr(view, "csv_chunks"):
            if view.is_accessible() and view.can_export and run.format in view.export_types:
                return view
    raise ExportRefused(_("You may no longer export this grid."))


def _write_file(view: Any, run: ExportRun) -> int:
    """The file, written beside its final name and renamed when complete (a half-written
    file is never offered); progress stamped after each batch."""
    target = file_of(run)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{target.name}.part")

    def stamp(rows: int) -> None:
        _book(run, done=rows, beat_at=utcnow())

    if run.format == "csv":
        rows = 0
        with open(part, "w", encoding="utf-8", newline="") as out:
            with closing(view.csv_chunks(JOB_BATCH)) as chunks:  # closes the cursor on error
                for text, count in chunks:
                    out.write(text)
                    rows += count
                    if count:
                        stamp(rows)
    else:
        with open(part, "wb") as out:
            rows = view.write_xlsx(out, JOB_BATCH, stamp)
    os.replace(part, target)
    return rows


def _book(run: ExportRun, **values: Any) -> None:
    """Record the run's progress or outcome, committed at once on a connection of its own."""
    for name, value in values.items():
        setattr(run, name, value)

    def save() -> None:
        with db.connection_context():
            ExportRun.update(**values).where(ExportRun.id == run.id).execute()

    on_own_thread(save)


def _tell(run: ExportRun, staff: Staff | None, view: Any) -> None:
    """One inbox message in the person's language: the file's link, or the error's page."""
    from rules.notifications import send

    if staff is None:
        return
    language = staff.locale or settings().app.default_locale
    with speaking(language), force_locale(language):
        if run.state == "done":
            title = _(
                "Your export of %(grid)s is ready: %(rows)d rows. Download it here.",
                grid=str(view.name), rows=run.done,
            )  # fmt: skip
            link = f"/admin/{run.grid}/export_run/file/?id={run.id}"
        else:
            title = _("Your export stopped after %(rows)d rows.", rows=run.done)
            link = f"/admin/{run.grid}/export_run/?id={run.id}"
    message = {"recipient": staff.id, "title": title, "body": run.error, "link": link}

    def deliver() -> None:
        with db.connection_context(), acting_as(SYSTEM):
            send([message])

    on_own_thread(deliver)
