"""A read-only database or a full disk (issue 11 item 3, fault 4): a form save, an import and a
bulk edit each get a 503 page that names the problem and says nothing was saved, and no table
gains, loses or changes a row. The fault is injected, never made by filling the machine's disk:

- read-only: SQLite `PRAGMA query_only`, PostgreSQL `default_transaction_read_only` (both set
  on every new connection, as a read-only replica or a remounted disk would behave);
- disk full, at the audit row, so the record's own row is already written in the transaction
  when the fault comes (the half that must not stay): SQLite with `PRAGMA max_page_count`
  pinned at the file's size and a trigger on the audit table that writes a megabyte (SQLite's
  own SQLITE_FULL, "database or disk is full"); PostgreSQL with a trigger on the audit table
  that raises the server's disk-full SQLSTATE 53100.
Then the fault is lifted and the same save works, without restarting anything.
"""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest

from models import MODELS, Customer, db
from models.db import is_postgres
from tests.conftest import system

NEW = {"name": "周新", "phone": "13566667777", "gender": "M", "address": "上海"}
CSV = "name,phone,gender,address\n钱多多,13800138000,F,上海市\n孙小美,13800138001,F,上海市\n"


def snapshot() -> dict[str, list]:
    """Every row of every table (a changed, added or removed row shows)."""
    with system():
        return {
            key: sorted(map(repr, model.select().order_by(model._meta.primary_key).tuples()))
            for key, model in MODELS.items()
        }


def reset_pool() -> None:
    """Drop idle pooled connections so the next request connects with the new settings."""
    if hasattr(db.obj, "close_idle"):
        db.obj.close_idle()


@contextmanager
def read_only(monkeypatch):
    if is_postgres():
        options = db.obj.connect_params.get("options", "") + " -c default_transaction_read_only=on"
        params = {**db.obj.connect_params, "options": options}
        monkeypatch.setattr(db.obj, "connect_params", params)
    else:
        monkeypatch.setattr(db.obj, "_pragmas", [*db.obj._pragmas, ("query_only", 1)])
    reset_pool()
    yield
    monkeypatch.undo()
    reset_pool()


@contextmanager
def disk_full(monkeypatch):
    if is_postgres():
        with system():
            db.execute_sql(
                "CREATE FUNCTION fault_disk_full() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                "'could not extend file: No space left on device' USING ERRCODE = '53100'; "
                "END $$ LANGUAGE plpgsql"
            )
            db.execute_sql(
                "CREATE TRIGGER fault_disk_full BEFORE INSERT ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION fault_disk_full()"
            )
        yield
        with system():
            db.execute_sql("DROP TRIGGER fault_disk_full ON audit_log")
            db.execute_sql("DROP FUNCTION fault_disk_full()")
        return
    # SQLite: the file may not grow, and a trigger on the audit table writes a megabyte, so
    # SQLite itself answers SQLITE_FULL at the audit row, after the record's own row
    with system():
        db.execute_sql("CREATE TABLE fault_filler (b BLOB)")
        db.execute_sql(
            "CREATE TRIGGER fault_disk_full AFTER INSERT ON audit_log "
            "BEGIN INSERT INTO fault_filler VALUES (zeroblob(1000000)); END"
        )
        pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    monkeypatch.setattr(db.obj, "_pragmas", [*db.obj._pragmas, ("max_page_count", pages)])
    yield
    monkeypatch.undo()
    with system():
        assert db.execute_sql("SELECT count(*) FROM fault_filler").fetchone()[0] == 0
        db.execute_sql("DROP TRIGGER fault_disk_full")
        db.execute_sql("DROP TABLE fault_filler")


FAULTS = {"read_only": read_only, "disk_full": disk_full}
MESSAGES = {  # the page speaks the person's language (the demo default is zh_CN)
    "read_only": (
        "The database is read-only: nothing was saved.",
        "数据库处于只读状态：未保存任何内容。",
    ),
    "disk_full": (
        "The disk of the database is full: nothing was saved.",
        "数据库所在磁盘已满：未保存任何内容。",
    ),
}


def form_save(c, world):
    """A new customer through its form: the customer row, then its audit row."""
    return lambda: c.post("/admin/customer/new/", NEW)


def import_csv(c, world):
    """Two customers from a CSV file, all or nothing."""
    data = {"file": (io.BytesIO(CSV.encode()), "data.csv")}
    return lambda: c.post("/admin/customer/import/", data, content_type="multipart/form-data")


def bulk_edit(c, world):
    """One field on 41 rows (one batch): the disk fills part-way, not at the first row."""
    with system():
        ids = [world.c_sales1.id]
        for n in range(40):
            ids.append(world.customer(f"客户{n}", f"1370000{n:04d}", owner=world.sales1).id)
    url = f"/admin/customer/bulk_edit/?ids={','.join(map(str, ids))}&field=address"
    return lambda: c.post(url, {"address": "南京东路1号" * 30})


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("write", [form_save, import_csv, bulk_edit], ids=lambda f: f.__name__)
def test_a_write_during_the_fault_gets_a_clear_503_and_leaves_nothing(
    as_user, world, monkeypatch, fault, write
):
    c = as_user("sales1")
    send = write(c, world)
    before = snapshot()
    with FAULTS[fault](monkeypatch):
        response = send()
        page = response.get_data(as_text=True)
        assert response.status_code == 503, page[:800]
        assert any(text in page for text in MESSAGES[fault]), page[:800]
        assert "Traceback" not in page and "sqlite3" not in page and "psycopg2" not in page
    assert snapshot() == before
    # the fault lifted: the same person saves again, no restart
    assert form_save(c, world)().status_code == 302
    with system():
        assert Customer.select().where(Customer.phone == NEW["phone"]).count() == 1


def test_a_pool_with_every_connection_in_use_gets_the_busy_503(as_user, world, monkeypatch):
    """PostgreSQL's pool at [database] max_connections (playhouse's MaxConnectionsExceeded) is
    an outage like a locked SQLite: the busy 503 with Retry-After, not a 500."""
    from playhouse.pool import MaxConnectionsExceeded

    c = as_user("sales1")

    def exhausted(*args, **kwargs):
        raise MaxConnectionsExceeded("Exceeded maximum connections.")

    db.close()
    monkeypatch.setattr(db.obj, "connect", exhausted)
    response = c.get("/admin/customer/")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "数据库繁忙" in response.get_data(as_text=True)  # the default locale, zh_CN
