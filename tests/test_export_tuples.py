"""Exports at any size (issue 10, item 5; B, A3 exports): rows read as tuples of only the
exported columns give exactly the model path's CSV and XLSX in every grid; no model object is
built per row; PostgreSQL streams through a server-side cursor."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from types import SimpleNamespace

import openpyxl
import pytest
import pytz
from flask import g
from peewee import DateTimeField

from admin_views import export_csv
from admin_views.export import ExportMixin
from admin_views.export_rows import TuplePlan
from models import Customer, db
from tests.conftest import PG_URL, World, actor_of, system
from tests.test_export_values import exportable_grids
from tests.test_sales import at_state


def body(response) -> list:
    """A CSV's bytes, or an XLSX's cell values (the file itself holds a save time)."""
    assert response.status_code == 200
    if response.mimetype.startswith("text/csv"):
        return [response.data]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def plan_for(app, view, actor) -> TuplePlan:
    with app.test_request_context():
        g.actor = actor_of(actor)
        return TuplePlan(view, view.get_list(0, None, False, None, [], False, 0)[1])


def test_every_grid_exports_the_same_on_the_tuple_path(app, as_user, world, monkeypatch):
    at_state(world, "shipped")  # orders, lines, stock moves, audit rows, messages, tasks
    with system():
        World.customer("=1+1", "13611112222", owner=world.sales1, notes="@cmd")
    owner, compared, tuples = as_user("owner"), 0, set()
    for view in exportable_grids(app):
        if view.endpoint == "export_log":  # each export adds a row to it
            continue
        for fmt in view.export_types:
            url = f"/admin/{view.endpoint}/export/{fmt}/"
            monkeypatch.setattr(ExportMixin, "export_tuples", True)
            fast = owner.get(url)
            if fast.status_code == 302:  # the owner may not export this grid
                continue
            fast_body = body(fast)
            monkeypatch.setattr(ExportMixin, "export_tuples", False)
            assert fast_body == body(owner.get(url)), (view.endpoint, fmt)
            compared += len(fast_body) > 1 or fast_body[0].count(b"\n") > 1
        if plan_for(app, view, world.owner).ok:
            tuples.add(view.endpoint)
    print(sorted(tuples))
    assert compared >= 16
    assert {"customer", "pool", "sales_order"} <= tuples


def test_customer_export_builds_no_model_per_row(as_user, world, monkeypatch):
    with system():
        for n in range(5):
            World.customer(f"客户{n}", f"1361111000{n}", owner=world.sales1)
    built = []
    real = Customer.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Customer, "__init__", counting)
    client = as_user("sales1")
    rows = client.get("/admin/customer/export/csv/").data.count(b"\n") - 1
    assert rows >= 6 and len(built) == 0
    monkeypatch.setattr(ExportMixin, "export_tuples", False)  # the model path builds one per row
    assert client.get("/admin/customer/export/csv/").data.count(b"\n") - 1 == rows
    assert len(built) >= rows


def test_customer_export_selects_only_the_exported_columns(app, world):
    view = next(v for v in exportable_grids(app) if v.endpoint == "customer")
    plan = plan_for(app, view, world.sales1)
    with app.test_request_context():
        g.actor = actor_of(world.sales1)
        sql, _params = plan.query.select(*plan.columns).sql()
    selected = sql[: sql.index(' FROM "customer"')]
    assert '"name"' in selected and '"phone"' in selected and "days_left" in selected
    assert '"version"' not in selected and '"warned_clock"' not in selected  # not exported
    assert '"j_owner".' in selected  # a joined label, not a query per row
    labels = sum(len(getattr(view.model, j).rel_model.label_fields) for j in view.column_joins)
    assert len(plan.columns) <= len(view._export_columns) + 1 + labels  # the key, the labels
    assert len(plan.columns) < len(view.model._meta.fields)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (MINGCRM_TEST_DATABASE_URL)")
def test_postgres_streams_through_a_named_cursor(as_user, world, monkeypatch):
    names = []
    real = db.obj.connection

    class Spy:
        def __init__(self, conn):
            self.conn = conn

        def __getattr__(self, attr):
            return getattr(self.conn, attr)

        def cursor(self, *args, **kwargs):
            names.append(kwargs.get("name"))
            return self.conn.cursor(*args, **kwargs)

    monkeypatch.setattr(db.obj, "connection", lambda: Spy(real()))
    rows = as_user("sales1").get("/admin/customer/export/csv/").data.count(b"\n") - 1
    assert rows >= 1
    assert any(name and name.startswith("export_") for name in names)


@pytest.mark.parametrize("day", [datetime(2026, 3, 8), datetime(2026, 11, 1)])
def test_csv_minutes_follow_daylight_saving(day, monkeypatch):
    """The per-period offset gives local_minute's text across a zone's transitions."""
    zone = pytz.timezone("America/New_York")
    monkeypatch.setattr(export_csv, "get_timezone", lambda: zone)

    def finish(value):
        local = zone.normalize(pytz.UTC.localize(value).astimezone(zone))
        return local.replace(tzinfo=None, second=0, microsecond=0)

    view = SimpleNamespace(_column_choices_map={})
    text = export_csv.text_of(view, "at", DateTimeField(), 0, finish)
    moments = [day + timedelta(minutes=m, seconds=13) for m in range(0, 12 * 60, 7)]
    for value in [*moments, *reversed(moments)]:
        assert text((value,), None) == finish(value).strftime("%Y-%m-%d %H:%M")
