"""Backups (issue 11 item 5): `backup` of a live SQLite database under write load is one
consistent snapshot, `restore` puts it back round-trip and refuses anything doubtful, and on
PostgreSQL `backup` runs pg_dump (restored with pg_restore)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import psycopg2
import pytest

import rules
from models import Customer, db
from tasks.data.tables import sqlite_summaries
from tests.conftest import World, system
from tests.sqlite_site import private_schema, run_sql, sqlite_site

WRITERS = 3
PER_WRITER = 400  # bounded in count...
DEADLINE_S = 60  # ...and in time


@pytest.fixture
def site(overrides, tmp_path):
    with sqlite_site(overrides, tmp_path / "live.db") as site:
        with system():
            World()
        yield site


class Writers:
    """Threads that save customers through the models: each save writes the customer and its
    audit row in one transaction; every other one also updates an earlier customer (its
    version goes up, with a second audit row), so a torn snapshot would show."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.committed = 0
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(WRITERS)]

    def run(self, n: int) -> None:
        end = time.monotonic() + DEADLINE_S
        try:
            with db.connection_context(), rules.acting_as(rules.SYSTEM):
                earlier = None
                for i in range(PER_WRITER):
                    if self.stop.is_set() or time.monotonic() > end:
                        return
                    row = World.customer(f"写入{n}-{i}", f"1370{n}{i:06d}")
                    if earlier is not None and i % 2:
                        earlier.notes = f"第{i}次"
                        earlier.save()
                    earlier = row
                    with self.lock:
                        self.committed += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)

    def wait_for(self, count: int) -> None:
        end = time.monotonic() + DEADLINE_S
        while self.committed < count and time.monotonic() < end and not self.errors:
            time.sleep(0.01)
        assert not self.errors, self.errors
        assert self.committed >= count, f"writers stalled at {self.committed}"

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(DEADLINE_S)


def torn_rows(path: Path) -> list:
    """Customers whose version differs from their audit rows, and audit rows with no customer."""
    con = sqlite3.connect(path)
    try:
        return con.execute(
            "SELECT c.id, c.version, COUNT(a.id) FROM customer c LEFT JOIN audit_log a "
            "ON a.model = 'customer' AND a.record_id = CAST(c.id AS TEXT) "
            "GROUP BY c.id, c.version HAVING c.version != COUNT(a.id) "
            "UNION ALL SELECT NULL, a.record_id, a.id FROM audit_log a WHERE a.model = 'customer' "
            "AND NOT EXISTS (SELECT 1 FROM customer c WHERE CAST(c.id AS TEXT) = a.record_id)"
        ).fetchall()
    finally:
        con.close()


def summaries(path: Path) -> dict:
    con = sqlite3.connect(path)
    try:
        return sqlite_summaries(con)
    finally:
        con.close()


def count(path: Path, table: str) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_backup_under_write_load_is_one_snapshot_and_restores_round_trip(site, tmp_path):
    backups = [tmp_path / f"b{i}.db" for i in range(3)]
    printed = {}
    with Writers() as writers:
        for i, path in enumerate(backups):
            writers.wait_for(30 * (i + 1))
            result = site.invoke("backup", "--to", str(path))
            assert result.exit_code == 0, result.output
            assert f"{path}: {path.stat().st_size} bytes" in result.output
            assert "integrity_check ok, schema version" in result.output
            printed[path] = int(re.search(r"^ +customer +(\d+)$", result.output, re.M).group(1))
        writers.wait_for(writers.committed + 20)  # still writing after the last backup
    assert not writers.errors, writers.errors
    taken = [count(p, "customer") for p in backups]
    assert taken == [printed[p] for p in backups]
    assert taken == sorted(taken) and taken[0] < taken[-1] < count(site.path, "customer")
    for path in backups:
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        con.close()
        assert not Path(f"{path}-wal").exists()
        assert torn_rows(path) == []
    assert torn_rows(site.path) == []

    before = summaries(site.path)
    result = site.invoke("restore", str(backups[1]), "--yes")
    assert result.exit_code == 0, result.output
    assert summaries(site.path) == summaries(backups[1])
    kept = site.path.with_name("live.db.before-restore")
    assert f"kept as {kept}" in result.output
    assert summaries(kept) == before
    with system():  # the app works on the restored file, and writes to it
        assert Customer.select().count() == taken[1]
        World.customer("恢复后", "13912345678")
    assert count(site.path, "customer") == taken[1] + 1


def test_backup_does_not_wait_for_an_open_write_and_leaves_it_out(site, tmp_path):
    """A clerk's save is half-way (its transaction holds the write lock): the backup neither
    waits for it nor takes any of it; the save then commits as usual."""
    inside, release, errors = threading.Event(), threading.Event(), []

    def slow_save() -> None:
        try:
            with db.connection_context(), rules.acting_as(rules.SYSTEM), db.atomic():
                World.customer("进行中", "13912345678")
                inside.set()
                release.wait(DEADLINE_S)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    before = count(site.path, "customer")
    writer = threading.Thread(target=slow_save)
    writer.start()
    try:
        assert inside.wait(DEADLINE_S)
        result = site.invoke("backup", "--to", str(tmp_path / "mid.db"))
    finally:
        release.set()
        writer.join(DEADLINE_S)
    assert result.exit_code == 0, result.output
    assert not errors, errors
    assert count(tmp_path / "mid.db", "customer") == before
    assert count(tmp_path / "mid.db", "audit_log") == count(site.path, "audit_log") - 1
    assert count(site.path, "customer") == before + 1


def corrupt(path: Path) -> None:
    """Scramble the end of the customer name index's root page (its cells)."""
    con = sqlite3.connect(path)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'customer_name'")
    page, size = root.fetchone()[0], con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    start = (page - 1) * size
    for i in range(start + size - 400, start + size - 10):
        data[i] = (data[i] * 7 + 3) % 256
    path.write_bytes(bytes(data))


def test_restore_refuses_what_is_not_a_sound_mingcrm_backup(site, tmp_path):
    good = tmp_path / "good.db"
    assert site.invoke("backup", "--to", str(good)).exit_code == 0
    live = summaries(site.path)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)").connection.close()
    newer = tmp_path / "newer.db"
    shutil.copy(good, newer)
    con = sqlite3.connect(newer)
    con.execute("INSERT INTO schema_version (version, description, applied_at) "
                "VALUES (99, 'a later release', '2030-01-01')")  # fmt: skip
    con.commit()
    con.close()
    text = tmp_path / "notes.txt"
    text.write_text("客户名单\n" * 500)
    broken = tmp_path / "broken.db"
    shutil.copy(good, broken)
    corrupt(broken)
    for path, message in [
        (foreign, "is not a MingCRM database (it has no schema_version table)"),
        (newer, "is at schema version 99; this release knows versions 1 to"),
        (text, "is not a readable SQLite database"),
        (broken, "failed PRAGMA integrity_check: *** in database main ***"),
    ]:
        result = site.invoke("restore", str(path), "--yes")
        assert result.exit_code == 1 and message in result.output, (path, result.output)
    result = site.invoke("restore", str(good))
    assert result.exit_code == 1 and "run it again with --yes" in result.output
    assert summaries(site.path) == live  # nothing was touched
    assert not list(tmp_path.glob("*.before-restore*")) and not list(tmp_path.glob(".*.tmp"))


def test_restore_refuses_while_the_database_is_open(site, tmp_path):
    good = tmp_path / "good.db"
    assert site.invoke("backup", "--to", str(good)).exit_code == 0
    with system():
        World.customer("备份后", "13912345678")
        result = site.invoke("restore", str(good), "--yes")  # this connection is still open
    assert result.exit_code == 1 and "is in use by another process" in result.output
    assert count(site.path, "customer") == count(good, "customer") + 1
    assert site.invoke("restore", str(good), "--yes").exit_code == 0
    assert count(site.path, "customer") == count(good, "customer")
    second = site.invoke("restore", str(good), "--yes")  # an earlier safety copy is kept too
    assert second.exit_code == 0 and "live.db.before-restore-" in second.output
    assert len(list(tmp_path.glob("live.db.before-restore*"))) == 2


def test_backup_names_its_file_and_never_overwrites(site, tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    result = site.invoke("backup", "--to", str(folder))
    assert result.exit_code == 0, result.output
    (made,) = folder.glob("mingcrm-*.db")
    assert str(made) in result.output
    again = site.invoke("backup", "--to", str(made))
    assert again.exit_code == 1 and "already exists; name another file with --to" in again.output
    assert list(folder.iterdir()) == [made]


@pytest.fixture
def pg_schema():
    """A private schema on the test PostgreSQL server, dropped after the test."""
    with private_schema("mingcrm_backup") as (base, name):
        run_sql(base, f"CREATE SCHEMA {name}")
        yield base, name


def pg_customers(base: str, schema: str) -> list:
    with psycopg2.connect(base) as con, con.cursor() as cur:
        cur.execute(f"SELECT id, name, phone, version FROM {schema}.customer ORDER BY id")
        return cur.fetchall()


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgresql_backup_runs_pg_dump_and_pg_restore_brings_it_back(
    overrides, pg_schema, tmp_path
):
    from app import create_app
    from models.migrations import migrate

    base, schema = pg_schema
    app = create_app(overrides={**overrides, "database": {"url": f"{base}?schema={schema}"}})
    with db.connection_context():
        migrate()
    with system():
        World()
    rows = pg_customers(base, schema)
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "pg.dump")])
    assert result.exit_code == 0, result.output
    assert "pg_restore --no-owner --dbname=URL" in result.output
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "pg.dump")],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"TABLE DATA {schema} customer" in listing
    restore = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "pg.dump"), "--yes"])
    assert restore.exit_code == 1 and "For PostgreSQL use pg_restore" in restore.output
    db.obj.close_all()
    run_sql(base, f"DROP SCHEMA {schema} CASCADE")
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={base}", str(tmp_path / "pg.dump")],
                   check=True, capture_output=True)  # fmt: skip
    assert pg_customers(base, schema) == rows and len(rows) == 5


def test_a_backup_clears_the_temp_file_a_killed_backup_left(site, tmp_path):
    """A backup killed mid-copy leaves `.<name>.backup-<pid>.tmp`; the next backup into that
    folder removes it when its process is gone, and leaves a live process's file alone."""
    folder = tmp_path / "kept"
    folder.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = folder / f".mingcrm-old.db.backup-{dead.pid}.tmp"
    running = folder / f".mingcrm-new.db.backup-{os.getpid()}.tmp"
    orphan.write_bytes(b"half a copy")
    running.write_bytes(b"being written")
    result = site.invoke("backup", "--to", str(folder))
    assert result.exit_code == 0, result.output
    assert not orphan.exists() and running.exists()
