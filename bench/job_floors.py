"""Floors that write every row the customer jobs write, by hand (issue 7 item 17).

The one-statement floors in customers.py (`raw_update`, `raw_tasks_insert`) change the same
customer and task rows as the jobs, but the jobs also write, on purpose, an audit row per
changed row, ownership history, the owners' messages and their audit rows. These floors write
those rows too, as plain INSERT..SELECT and UPDATE statements in one transaction, so the bench
reports both: the job against the bare change, and against the same rows written by hand.
The bench asserts that a floor adds as many rows to each table as the job.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import rules
from models import Customer, db
from rules import settings

TABLES = ("audit_log", "ownership_change", "notification", "follow_up_task")


def due_sql(now: datetime, within_days: int = 0) -> str:
    """Owned customers whose clock has run out (or will within `within_days`), not exempt."""
    cfg = settings().customers
    due = " OR ".join(
        f"(level = '{lvl}' AND clock_start <= "
        f"'{now - timedelta(days=cfg.reclaim_days(lvl) - within_days)}')"
        for lvl in Customer.LEVELS
    )
    if cfg.exempt_recent_deal_days:
        recent = now - timedelta(days=cfg.exempt_recent_deal_days)
        due = f"({due}) AND NOT (last_deal_at IS NOT NULL AND last_deal_at >= '{recent}')"
    return f"owner_id IS NOT NULL AND ({due})"


def changes_sql(*pairs: tuple[str, str, str]) -> str:
    """SQL for the audit row's {"field": [old, new], ...}, as the app writes it."""
    pg = db.obj.param != "?"
    obj, arr = ("json_build_object", "json_build_array") if pg else ("json_object", "json_array")
    args = ", ".join(f"'{name}', {arr}({old}, {new})" for name, old, new in pairs)
    return f"CAST({obj}({args}) AS TEXT)"


def _audit(table: str, action: str, where: str, now: datetime, changes: str = "'{}'") -> str:
    who = rules.SYSTEM
    return (
        "INSERT INTO audit_log (model, record_id, action, actor_id, actor_name, at, changes)"
        f" SELECT '{table}', CAST(id AS VARCHAR(40)), '{action}', NULL, '{who.username}',"
        f" '{now}', {changes} FROM {table} WHERE {where}"
    )


def _messages(where: str, key: str, title: str, link: str, now: datetime) -> list[str]:
    """One message per owner with their count, and its audit row (rules.notifications.send)."""
    stamp = f"{now:%Y%m%d%H%M}"
    any_text = "%%" if db.obj.param != "?" else "%"  # psycopg2 reads % as a placeholder
    return [
        "INSERT INTO notification (recipient_id, title, body, link, key, created_at, updated_at,"
        f" version) SELECT owner_id, COUNT(*) || '{title}', '', '{link}',"
        f" '{key}:' || owner_id || ':{stamp}', '{now}', '{now}', 1"
        f" FROM customer WHERE {where} GROUP BY owner_id",
        _audit("notification", "create", f"key LIKE '{key}:{any_text}:{stamp}'", now),
    ]


def reclaim_full(now: datetime) -> list[str]:
    """Warn (messages, audit, warned_clock), then reclaim (history, lapsed tasks, audit,
    customers back to the pool, messages), as the reclaim job does."""
    due = due_sql(now)
    warn_days = settings().customers.warn_days_before
    soon = (
        f"{due_sql(now, warn_days)} AND NOT ({due})"
        " AND (warned_clock IS NULL OR warned_clock <> clock_start)"
    )
    lapsed = f"status = 'open' AND customer_id IN (SELECT id FROM customer WHERE {due})"
    released = [
        ("owner", "owner_id", "NULL"),
        ("previous_owner", "previous_owner_id", "owner_id"),
        ("released_at", "released_at", f"'{now}'"),
        ("owner_since", "owner_since", "NULL"),
        ("clock_start", "clock_start", "NULL"),
        ("warned_clock", "warned_clock", "NULL"),
    ]
    return [
        *_messages(soon, "reclaim-warn", " customers return soon", "/admin/customer/", now),
        _audit(
            "customer",
            "update",
            soon,
            now,
            changes_sql(("warned_clock", "warned_clock", "clock_start")),
        ),
        "UPDATE customer SET warned_clock = clock_start, version = version + 1,"
        f" updated_at = '{now}' WHERE {soon}",
        "INSERT INTO ownership_change (customer_id, from_owner_id, to_owner_id, store_id, reason,"
        f" by_name, at) SELECT id, owner_id, NULL, store_id, 'reclaim', '{rules.SYSTEM.username}',"
        f" '{now}' FROM customer WHERE {due}",
        _audit(
            "follow_up_task", "update", lapsed, now, changes_sql(("status", "status", "'void'"))
        ),
        "UPDATE follow_up_task SET status = 'void', version = version + 1,"
        f" updated_at = '{now}' WHERE {lapsed}",
        *_messages(due, "reclaim", " customers went back to the pool", "/admin/pool/", now),
        _audit("customer", "update", due, now, changes_sql(*released)),
        "UPDATE customer SET owner_id = NULL, previous_owner_id = owner_id, released_at ="
        f" '{now}', owner_since = NULL, clock_start = NULL, warned_clock = NULL,"
        f" version = version + 1, updated_at = '{now}' WHERE {due}",
    ]


def tasks_full(insert: str, marks: dict, now: datetime) -> list[str]:
    """The task job's INSERT..SELECT and an audit row for each task it created."""
    return [insert, _audit("follow_up_task", "create", f"id > {marks['follow_up_task']}", now)]


def added(marks: dict) -> dict[str, int]:
    """Rows each table gained since `marks` (the snapshot's last ids)."""
    with db.connection_context():
        return {
            t: db.execute_sql(f"SELECT COUNT(*) FROM {t} WHERE id > {marks[t]}").fetchone()[0]
            for t in TABLES
        }


def run(statements: list[str]) -> float:
    """Seconds to run `statements` in one transaction."""
    with db.connection_context():
        start = time.perf_counter()
        with db.atomic():
            for sql in statements:
                db.execute_sql(sql)
        return time.perf_counter() - start
