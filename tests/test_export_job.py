"""Exports larger than a request (issue 10 item 5): above `[exports] job_rows` rows the export
link offers a job; the job writes the file the stream would have sent (same rows, scope,
labels, formula guard, BOM/XLSX) as the person who asked; a progress page shows rows written
of the total; the inbox links to the file, which only that person may download (logged)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest

from admin_views import export_job
from app import create_app
from models import Customer, ExportLog, Notification, Staff, db
from models.export_run import ExportRun
from rules.config import ConfigError
from tests.conftest import World, system
from tests.test_ux_labels import visible

JOB_ROWS = 3
GRID = "/admin/customer/export/{fmt}/"


@pytest.fixture
def overrides(overrides, tmp_path):
    return {**overrides, "exports": {"job_rows": JOB_ROWS, "folder": str(tmp_path / "exports")}}


@pytest.fixture
def many(world):
    """sales1 owns 5 customers (more than JOB_ROWS), one of them formula-like; sales2 owns 4."""
    with system():
        for i in range(3):
            World.customer(f"客户{i}", f"1370000000{i}", owner=world.sales1, level="vip")
        World.customer("=1+1", "13700000009", owner=world.sales1, notes="@SUM(A1)")
        for i in range(3):
            World.customer(f"别人{i}", f"1360000000{i}", owner=world.sales2)
    return world


def rows_of(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def start(client, fmt="csv", query=""):
    """Ask for the export (the offer page), then prepare the file; the run."""
    url = GRID.format(fmt=fmt) + query
    offer = client.get(url)
    assert offer.status_code == 200 and 'data-testid="export-start"' in offer.get_data(as_text=True)
    response = client.post(url)
    assert response.status_code == 302 and "/admin/customer/export_run/?id=" in response.location
    with db.connection_context():
        return ExportRun.get_by_id(int(response.location.rsplit("=", 1)[1]))


def download(client, run):
    return client.get(f"/admin/customer/export_run/file/?id={run.id}")


def streamed(client, monkeypatch, fmt="csv", query=""):
    monkeypatch.setattr(export_job, "job_rows", lambda: 10**9)
    response = client.get(GRID.format(fmt=fmt) + query)
    monkeypatch.undo()
    assert response.status_code == 200
    return response.data


def test_a_small_export_still_streams(as_user, world):
    response = as_user("sales1").get(GRID.format(fmt="csv"))  # 1 row, under the threshold
    assert response.mimetype == "text/csv" and response.is_streamed
    assert [r[1] for r in rows_of(response.data)[1:]] == [world.c_sales1.phone]
    with db.connection_context():
        assert ExportRun.select().count() == 0


def test_over_the_threshold_the_export_offers_a_job_and_the_post_starts_it(as_user, many):
    sales1 = as_user("sales1")
    with db.connection_context():
        assert ExportRun.select().count() == 0
    run = start(sales1)  # immediate queue in tests: the job has run
    assert (run.state, run.total, run.done, run.person_id) == ("done", 5, 5, many.sales1.id)
    assert run.error == ""


def test_the_jobs_file_is_the_streamed_export(as_user, many, monkeypatch):
    sales1 = as_user("sales1")
    query = "?sort=1&desc=1"
    same = streamed(sales1, monkeypatch, query=query)
    run = start(sales1, query=query)
    got = download(sales1, run)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.data == same
    rows = rows_of(got.data)
    assert "'=1+1" in [r[0] for r in rows] and "=1+1" not in [r[0] for r in rows]


def test_an_xlsx_job_writes_the_streamed_workbooks_cells(as_user, many, monkeypatch):
    sales1 = as_user("sales1")
    same = openpyxl.load_workbook(io.BytesIO(streamed(sales1, monkeypatch, fmt="xlsx"))).active
    run = start(sales1, fmt="xlsx")
    got = openpyxl.load_workbook(io.BytesIO(download(sales1, run).data)).active
    cells = [[c.value for c in row] for row in got.iter_rows()]
    assert cells == [[c.value for c in row] for row in same.iter_rows()]
    assert len(cells) == 6 and all(c.data_type != "f" for row in got.iter_rows() for c in row)


def test_the_job_reads_rows_as_the_person_with_the_grids_filters(as_user, many):
    s = as_user("sales1")
    phones = {r[1] for r in rows_of(download(s, start(s)).data)[1:]}
    with db.connection_context():
        mine = {c.phone for c in Customer.select().where(Customer.owner == many.sales1)}
    assert phones == mine and len(mine) == 5
    assert not any(p.startswith("136") for p in phones)
    searched = start(s, query="?search=1370000000")  # 4 of sales1's 5 customers
    phones = {r[1] for r in rows_of(download(s, searched).data)[1:]}
    assert phones == {f"1370000000{i}" for i in (0, 1, 2, 9)} and searched.total == 4
    assert searched.search == "1370000000"


def test_only_the_person_who_asked_downloads_the_file(as_user, many, client):
    run = start(as_user("sales1"))
    for other in ("sales2", "owner"):
        c = as_user(other)
        assert download(c, run).status_code == 404
        assert c.get(f"/admin/customer/export_run/?id={run.id}").status_code == 404
    anonymous = client.get(f"/admin/customer/export_run/file/?id={run.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert client.get(f"/admin/customer/export_run/?id={run.id}").status_code == 302
    assert client.post(GRID.format(fmt="csv")).status_code in (302, 400)
    assert as_user("sales1").get("/admin/customer/export_run/?id=x").status_code == 404


def test_the_download_is_logged_like_a_streamed_export(as_user, many):
    sales1 = as_user("sales1")
    run = start(sales1, query="?search=1370000000")
    with db.connection_context():
        assert ExportLog.select().count() == 0  # writing the file is not a download
    download(sales1, run)
    with db.connection_context():
        (log,) = ExportLog.select()
    assert (log.actor_id, log.grid, log.format, log.rows) == (many.sales1.id, "customer", "csv", 4)
    assert log.search == "1370000000"


def test_posts_need_the_csrf_token(as_user, many):
    sales1 = as_user("sales1")
    refused = sales1.post(GRID.format(fmt="csv"), csrf=False)
    assert refused.status_code == 400
    with db.connection_context():
        assert ExportRun.select().count() == 0
    run = start(sales1)
    again = sales1.post(f"/admin/customer/export_run/again/?id={run.id}", csrf=False)
    assert again.status_code == 400


def test_the_inbox_links_to_the_file(as_user, many):
    sales1 = as_user("sales1")
    run = start(sales1)
    with db.connection_context():
        (note,) = Notification.select().where(Notification.recipient == many.sales1.id)
    assert note.link == f"/admin/customer/export_run/file/?id={run.id}"
    assert "5" in note.title and "客户" in note.title  # in the person's language
    inbox = sales1.get("/admin/notification/").get_data(as_text=True)
    assert f'href="{note.link}"' in inbox
    assert sales1.get(note.link).status_code == 200


def test_the_progress_page_shows_rows_written_of_the_total(as_user, many):
    sales1 = as_user("sales1")
    run = start(sales1)
    with system():
        ExportRun.update(state="running", done=2, beat_at=run.started_at).where(
            ExportRun.id == run.id
        ).execute()
    page = sales1.get(f"/admin/customer/export_run/?id={run.id}").get_data(as_text=True)
    assert re.search(r'data-testid="export-counts">\s*已写入 2 / 5 行', page), page
    assert 'http-equiv="refresh"' in page and "export-download" not in page
    with system():
        ExportRun.update(state="done", done=5).where(ExportRun.id == run.id).execute()
    page = sales1.get(f"/admin/customer/export_run/?id={run.id}").get_data(as_text=True)
    assert "已写入 5 / 5 行" in page and 'data-testid="export-download"' in page
    assert 'http-equiv="refresh"' not in page


def test_a_failed_job_shows_its_error_and_starts_again(as_user, many, monkeypatch):
    from admin_views import export_job_run

    def broken(view, run):
        raise OSError("disk full")

    monkeypatch.setattr(export_job_run, "_write_file", broken)
    sales1 = as_user("sales1")
    run = start(sales1)
    with db.connection_context():
        run = ExportRun.get_by_id(run.id)
        (note,) = Notification.select().where(Notification.recipient == many.sales1.id)
    assert run.state == "failed" and run.error == "OSError: disk full"
    assert note.link == f"/admin/customer/export_run/?id={run.id}" and "disk full" in note.body
    page = sales1.get(note.link).get_data(as_text=True)
    assert 'data-testid="export-error">OSError: disk full' in page and "export-again" in page
    assert download(sales1, run).status_code == 404
    monkeypatch.undo()
    sales1.post(f"/admin/customer/export_run/again/?id={run.id}")
    with db.connection_context():
        assert ExportRun.get_by_id(run.id).state == "done"
    assert len(rows_of(download(sales1, run).data)) == 6


def test_a_person_who_may_no_longer_export_gets_a_clear_error(as_user, many, monkeypatch):
    sales1 = as_user("sales1")
    run = start(sales1)
    with system():
        Staff.update(roles="finance").where(Staff.id == many.sales1.id).execute()  # no export
        ExportRun.update(state="failed").where(ExportRun.id == run.id).execute()
    sales1.post(f"/admin/customer/export_run/again/?id={run.id}")
    with db.connection_context():
        run = ExportRun.get_by_id(run.id)
    assert run.state == "failed" and run.error == "你不能再导出这个表格。"


def test_zh_cn_labels_in_the_file_and_no_english_on_the_pages(as_user, many):
    sales1 = as_user("sales1")
    run = start(sales1)
    header = rows_of(download(sales1, run).data)[0]
    assert "名称" in header and "Name" not in header
    for url in (GRID.format(fmt="csv"), f"/admin/customer/export_run/?id={run.id}"):
        page = visible(sales1.get(url))
        body = page[page.index("导出") :]
        assert not re.search(r"\b(export|rows|file|of|Download|Back)\b", body), body


def test_english_when_the_person_reads_english(as_user, many):
    with system():
        Staff.update(locale="en").where(Staff.id == many.sales1.id).execute()
    sales1 = as_user("sales1")
    run = start(sales1)
    assert rows_of(download(sales1, run).data)[0][0] == "Name"
    page = sales1.get(f"/admin/customer/export_run/?id={run.id}").get_data(as_text=True)
    assert "5 of 5 rows written." in page


def test_old_files_are_cleaned_by_the_maintenance_job(as_user, many):
    from tasks import JOBS
    from tasks.exports import file_of

    sales1 = as_user("sales1")
    run = start(sales1)
    assert file_of(run).is_file()
    JOBS["clean_exports"].run(run.finished_at + timedelta(days=6))
    assert file_of(run).is_file()
    JOBS["clean_exports"].run(run.finished_at + timedelta(days=8))
    assert not file_of(run).exists()
    with db.connection_context():
        assert ExportRun.get_by_id(run.id).state == "expired"
    assert download(sales1, run).status_code == 404
    assert "7" in sales1.get(f"/admin/customer/export_run/?id={run.id}").get_data(as_text=True)


@pytest.mark.parametrize("bad", [0, "many"])
def test_a_bad_threshold_is_refused_at_start_up_naming_the_key(overrides, bad):
    with pytest.raises(ConfigError) as caught:
        create_app(overrides={**overrides, "exports": {"job_rows": bad}})
    assert any(e.startswith("exports.job_rows: ") for e in caught.value.errors)


def test_a_worker_runs_the_job_outside_any_request_and_stamps_each_batch(
    as_user, many, monkeypatch
):
    """As a huey consumer would: no Flask context around the job. Each batch's progress is
    committed while the rows are still being read (seen from another connection)."""
    from admin_views import export_job_run
    from admin_views.export_job import ExportJobMixin

    queued = []
    monkeypatch.setattr(ExportJobMixin, "_queue_export", lambda self, run: queued.append(run.id))
    sales1 = as_user("sales1")
    sales1.post(GRID.format(fmt="csv"))
    (run_id,) = queued
    seen: list[tuple[int, int]] = []
    book = export_job_run._book

    def watched(run, **values):
        book(run, **values)
        if "done" in values and values.get("state") is None:

            def read():
                with db.connection_context():
                    return ExportRun.get_by_id(run.id).done

            seen.append((values["done"], export_job_run.on_own_thread(read)))

    monkeypatch.setattr(export_job_run, "_book", watched)
    monkeypatch.setattr(export_job_run, "JOB_BATCH", 2)
    assert export_job_run.write_run(run_id) == 5
    assert seen == [(1, 1), (3, 3), (5, 5)]  # the first row alone, then batches of 2
    with db.connection_context():
        assert ExportRun.get_by_id(run_id).state == "done"
    assert len(rows_of(download(sales1, ExportRun(id=run_id, grid="customer")).data)) == 6
