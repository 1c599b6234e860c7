"""Login bookkeeping: failed-login counting, lockout, and session epochs (issue 7, items 10-11).

These columns are bookkeeping, not business data, so they are never written by a versioned
`save()`: two parallel wrong passwords would refuse each other's save and the count would stall.
Each change is ONE atomic UPDATE on the staff row, which the database serialises per row on
SQLite and PostgreSQL alike. `Staff.before_update` keeps these columns out of ordinary saves,
so an owner editing the record never writes back a stale count, lock or epoch.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from peewee import Case
from werkzeug.security import check_password_hash, generate_password_hash

from models import staff as staff_module
from models.audit import utcnow
from models.staff import Staff
from rules import settings

OK, WRONG, LOCKED = "ok", "wrong", "locked"
_dummy: dict[str, str] = {}


def dummy_hash() -> str:
    """A hash of a random password made with the app's own method (the cost of a real check)."""
    method = staff_module.PASSWORD_METHOD
    if method not in _dummy:
        _dummy[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _dummy[method]


def password_matches(staff: Staff | None, password: str) -> bool:
    """Check `password` with exactly one hash, whoever asks: an unknown, inactive or
    password-less account is checked against a dummy hash, so it takes as long as a known one."""
    usable = staff is not None and staff.active and bool(staff.password_hash)
    matched = check_password_hash(staff.password_hash if usable else dummy_hash(), password)
    return usable and matched


def take_attempt(staff_id: int, now: datetime) -> int:
    """Count one login attempt before its password is judged; return its number in this window.

    One statement counts, locks and restarts the window after an expired lock, so parallel
    requests each get their own number: at most `max_failed_logins` attempts per window are
    judged on their password; a number above that means the account is locked.
    """
    sec = settings().security
    expired = Staff.locked_until.is_null(False) & (Staff.locked_until <= now)
    locked = Staff.locked_until.is_null(False) & (Staff.locked_until > now)
    number = Case(None, [(expired, 1)], Staff.failed_logins + 1)
    lock = Case(
        None,
        [(locked, Staff.locked_until), (number >= sec.max_failed_logins, _lock_end(now))],
        None,
    )
    query = Staff.update(failed_logins=number, locked_until=lock).where(Staff.id == staff_id)
    row = query.returning(Staff.failed_logins).tuples().execute()
    return list(row)[0][0]


def _lock_end(now: datetime) -> datetime:
    return now + timedelta(minutes=settings().security.lockout_minutes)


def login_succeeded(staff_id: int, now: datetime) -> None:
    """Reset the failure count and any lock, and note the login time (one UPDATE)."""
    Staff.update(failed_logins=0, locked_until=None, last_login_at=now).where(
        Staff.id == staff_id
    ).execute()


@dataclass(frozen=True)
class Attempt:
    """The outcome of one login attempt: OK, WRONG (same for unknown names) or LOCKED."""

    result: str
    staff: Staff | None = None


def attempt_login(username: str, password: str) -> Attempt:
    """Judge one login. Every refusal of an existing active account is counted first."""
    now = utcnow()
    staff = Staff.select().where(Staff.username == username.strip()).first()
    matched = password_matches(staff, password)
    if staff is None or not staff.active:
        return Attempt(WRONG)
    if take_attempt(staff.id, now) > settings().security.max_failed_logins:
        return Attempt(LOCKED, staff)
    if not matched:
        return Attempt(WRONG, staff)
    login_succeeded(staff.id, now)
    return Attempt(OK, staff)


# -- sessions ----------------------------------------------------------------------------------
def end_sessions(staff_id: int) -> None:
    """End every session of this person, on every device: bump their session epoch."""
    Staff.update(session_epoch=Staff.session_epoch + 1).where(Staff.id == staff_id).execute()


def session_stamp(staff: Staff, now: datetime | None = None) -> dict[str, object]:
    """What a new session carries: the person's epoch, when it began, when it was last used."""
    at = (now or utcnow()).isoformat()
    return {"epoch": staff.session_epoch, "login_at": at, "seen_at": at}


def touch(stamp: Any) -> None:
    """Note that the session was used now (the idle clock restarts)."""
    stamp["seen_at"] = utcnow().isoformat()


def session_alive(staff: Staff, stamp: Any, now: datetime | None = None) -> bool:
    """True while the session's epoch is current (no logout or password change since), it is
    younger than [security] session_hours and was used within idle_minutes."""
    sec = settings().security
    now = now or utcnow()
    try:
        login_at = datetime.fromisoformat(str(stamp["login_at"]))
        seen_at = datetime.fromisoformat(str(stamp["seen_at"]))
    except (KeyError, ValueError):
        return False
    return (
        stamp.get("epoch") == staff.session_epoch
        and now - login_at < timedelta(hours=sec.session_hours)
        and now - seen_at < timedelta(minutes=sec.idle_minutes)
    )
