"""When the database fails under a request (issue 11 item 3): a clear 503, never a traceback.

The server went away (PostgreSQL restarted, the network dropped), the database refuses writes
(read-only), the disk is full, or SQLite stayed locked past its busy timeout: each of these is
an outage, not a bug. The request's transaction was rolled back by `db.atomic()` (a form, an
import and a bulk step each save in one), so the page says what happened and that nothing of
this request was saved. The connection is dropped, not handed back to the pool, so the next
request opens a fresh one: the app recovers by itself when the database is back.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import peewee
from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from playhouse.pool import MaxConnectionsExceeded

from models.db import db

log = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs (appendix A): class 08 connection, 53 resources, 57P admin/crash.
PG_READ_ONLY = {"25006"}
PG_DISK_FULL = {"53100"}
PG_GONE_CLASSES = ("08", "57P", "53")

# SQLite's own texts (sqlite3 gives no error code before Python 3.11's sqlite_errorname).
SQLITE_TEXTS = {
    "attempt to write a readonly database": "read_only",
    "database or disk is full": "disk_full",
    "disk i/o error": "unavailable",
    "unable to open database file": "unavailable",
    "database is locked": "busy",
}


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's exception behind peewee's wrapper (peewee puts it first in args)."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, BaseException):
        return inner
    return exc.__cause__ or exc.__context__ or exc


def fault_kind(exc: BaseException) -> str | None:
    """'read_only', 'disk_full', 'unavailable' or 'busy' when `exc` is a database outage;
    None for anything else (a bug, an integrity error: those stay 500s)."""
    if isinstance(exc, peewee.IntegrityError):
        return None
    if isinstance(exc, MaxConnectionsExceeded):  # every pooled connection is in use
        return "busy"
    inner = _driver_error(exc)
    if isinstance(inner, sqlite3.Error):
        text = str(inner).lower()
        return next((kind for key, kind in SQLITE_TEXTS.items() if key in text), None)
    code = getattr(inner, "pgcode", None)
    if code in PG_READ_ONLY:
        return "read_only"
    if code in PG_DISK_FULL:
        return "disk_full"
    if code and code.startswith(PG_GONE_CLASSES):
        return "unavailable"
    name = type(inner).__name__
    if code is None and name in ("OperationalError", "InterfaceError"):
        return "unavailable"  # psycopg2: refused, closed unexpectedly, already closed
    return None


def message(kind: str) -> str:
    return {
        "read_only": _("The database is read-only: nothing was saved."),
        "disk_full": _("The disk of the database is full: nothing was saved."),
        "busy": _("The database is busy: nothing was saved. Try again in a moment."),
    }.get(kind, _("The database cannot be reached: nothing was saved. Try again in a moment."))


def drop_connection() -> None:
    """Close this request's connection for good (a pooled one is not handed back)."""
    try:
        if not db.is_closed():
            db.manual_close() if hasattr(db.obj, "manual_close") else db.close()
    except Exception:  # noqa: BLE001 - the connection is already broken; forget it
        log.debug("closing a failed connection", exc_info=True)
        if hasattr(db.obj, "_state"):
            db.obj._state.reset()


def install(app: Flask) -> None:
    @app.errorhandler(peewee.PeeweeException)
    @app.errorhandler(MaxConnectionsExceeded)
    def database_fault(exc: Exception) -> Any:
        kind = fault_kind(exc)
        if kind is None:
            raise exc
        log.warning("database fault (%s) on %s %s: %s", kind, request.method, request.path, exc)
        g.database_fault = True  # the page must not read the database again: the
        if "_login_user" not in g:  # person is not loaded for its template (Flask-Login)
            g._login_user = current_app.login_manager.anonymous_user()
        drop_connection()
        text = message(kind)
        headers = {"Retry-After": "30"} if kind in ("unavailable", "busy") else {}
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return {"error": text, "fault": kind}, 503, headers
        if request.headers.get("X-Requested-With") == "XMLHttpRequest":
            return text, 503, headers  # inline edit: shown in the cell's error popup
        return render_template("errors/503.html", text=text), 503, headers
