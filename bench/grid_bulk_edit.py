"""grid.py's `bulk_edit` case: the owner sets one field (level) on every customer matching the
grid's filter (owned customers), through /admin/customer/bulk_edit/ (all matching: a job in
batches, run in the request by the immediate queue), against its raw-SQL floor: the same
rows changed by one hand-written UPDATE plus one INSERT ... SELECT for the same audit rows."""

from __future__ import annotations

import re
import time
from statistics import median

from peewee import PostgresqlDatabase

from models import db
from models.audit import utcnow

URL = "/admin/customer/bulk_edit/?all=1&field=level"
WHERE = "owner_id IS NOT NULL"  # the customer grid's own filter; the owner sees every row
VALUES = ("vip", "silver")  # alternated, so every run really changes every row


def _token(client) -> str:
    page = client.get(URL).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _app_once(client, token: str, value: str) -> float:
    start = time.perf_counter()
    response = client.c.post(URL, data={"level": value, "csrf_token": token})
    seconds = time.perf_counter() - start
    assert response.status_code == 302, f"bulk edit: HTTP {response.status_code}"
    assert "/bulk_run/" in response.headers["Location"], "expected the job path"
    return seconds


def _raw_once(value: str, owner_id: int) -> tuple[float, int]:
    mark = db.obj.param
    audit = (
        "INSERT INTO audit_log (model, record_id, action, actor_id, actor_name, at, changes, "
        "on_behalf_of, via) SELECT 'customer', CAST(id AS TEXT), 'update', "
        f"{mark}, 'owner', {mark}, CAST({{obj}}('level', {{arr}}(level, {mark})) AS TEXT), '', '' "
        f"FROM customer WHERE {WHERE}"
    )
    pg = isinstance(db.obj, PostgresqlDatabase)  # also the pooled one the app opens
    audit = audit.format(
        obj="json_build_object" if pg else "json_object",
        arr="json_build_array" if pg else "json_array",
    )
    update = (
        f"UPDATE customer SET level = {mark}, version = version + 1, updated_at = {mark} "
        f"WHERE {WHERE}"
    )
    with db.connection_context():
        start = time.perf_counter()
        with db.atomic():
            now = utcnow()
            db.execute_sql(audit, (owner_id, now, value))
            rows = db.execute_sql(update, (value, now)).rowcount
        return time.perf_counter() - start, rows


def measure(client, owner_id: int, repeat: int) -> dict:
    """Median seconds of the app's bulk edit and of its floor; rows changed per run."""
    from models.bulk import BulkRun

    token = _token(client)
    app_times, raw_times, rows = [], [], 0
    for i in range(repeat):
        app_times.append(_app_once(client, token, VALUES[i % 2]))
        with db.connection_context():
            run = BulkRun.select().order_by(BulkRun.id.desc()).get()
            assert run.state == "done" and not run.refusals, (run.state, run.refusals[:3])
            moved = run.moved
        seconds, rows = _raw_once(VALUES[(i + 1) % 2], owner_id)
        raw_times.append(seconds)
        assert rows == moved, f"the floor changed {rows} rows, the app {moved}"
    return {"s": median(app_times), "raw_s": median(raw_times), "rows": rows}
