"""Hostile input on every grid, generated from the registered views (issue 11 item 4): formula
injection in every CSV and XLSX export, SQL injection in every search box and filter, printouts
that read no local file or URL, and the session cookie's flags."""

from __future__ import annotations

import csv
import io
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import openpyxl
import pytest
from flask import g

import rules
from models import Customer, Staff, db
from tests.conftest import actor_of, system
from tests.security_plan import views
from tests.security_world import fill_text, populate, stamp_tokens
from tests.test_security import TOKEN

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
PAYLOADS = [f"{c}1+1*cmd|' /C calc'!A0" for c in FORMULA_START]


def _may(app, actor, permission: str) -> list[str]:
    """The grids on which the actor holds `permission` (read from each view)."""
    with app.test_request_context(), db.connection_context(), rules.acting_as(actor):
        g.actor = actor
        return [e for e, v in views(app).items() if hasattr(v, "allowed") and v.allowed(permission)]


def _cells(kind: str, data: bytes) -> list:
    if kind == "csv":
        return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    return [c.value for c in cells]


def _dangerous(value) -> bool:
    """A text cell a spreadsheet would run (a plain negative number is a number)."""
    return isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value)


def test_no_export_cell_starts_a_formula(app, world, as_user):
    populate(world)
    filled = fill_text(app, lambda t, c, pk: PAYLOADS[(pk + len(c)) % len(PAYLOADS)])
    assert filled > 100
    owner = as_user("owner")
    exportable = _may(app, actor_of(world.owner), "export")
    assert {"customer", "sales_order", "follow_up", "staff"} <= set(exportable)
    for endpoint in exportable:
        for kind in ("csv", "xlsx"):
            response = owner.get(f"/admin/{endpoint}/export/{kind}/")
            assert response.status_code == 200, (endpoint, kind)
            cells = _cells(kind, response.data)
            bad = [c for c in cells if _dangerous(c)]
            assert not bad, f"{endpoint} {kind}: {bad[:3]}"
            assert any(str(c).startswith("'") for c in cells), f"{endpoint} {kind}: no payload"
    report = owner.get("/admin/performance/export.csv")
    assert report.status_code == 200 and not [
        c for c in _cells("csv", report.data) if _dangerous(c)
    ]


SQL = [
    "' OR '1'='1",
    "1' OR 1=1--",
    "'); DROP TABLE customer;--",
    "1 UNION SELECT password_hash FROM staff--",
    "%' OR 1=1 --",
    '") OR ("1"="1',
    "\\'; SELECT pg_sleep(0);--",
]


@pytest.mark.parametrize("username", ["sales1"])
def test_sql_injection_in_every_search_filter_and_sort(app, world, as_user, username):
    """No 500, no row the plain list does not show, nothing dropped (every grid the person may
    open; every filter it offers; the payloads in search, in each filter and in sort)."""
    populate(world)
    tokens = stamp_tokens(app)
    person = as_user(username)
    actor = actor_of(getattr(world, username))
    with system():
        counts = (Customer.select().count(), Staff.select().count())
    for endpoint in _may(app, actor, "view"):
        view = views(app)[endpoint]
        base = person.get(f"/admin/{endpoint}/?page_size=200")
        assert base.status_code == 200, endpoint
        shown = _grid_tokens(base)
        params = [("search", p) for p in SQL] + [("sort", p) for p in SQL[:2]]
        params += [("sort", i) for i in range(len(view._list_columns) + 1)]  # sortable or not
        params += [(arg, p) for arg in (view._filter_args or {}) for p in SQL[:1]]
        for name, payload in params:
            response = person.get(f"/admin/{endpoint}/", query_string={name: payload})
            said = f"{username} {endpoint} {name}={payload!r}"
            assert response.status_code < 500, said
            extra = _grid_tokens(response) - shown
            assert not extra, f"{said} shows {sorted(extra)}"
    with system():
        assert (Customer.select().count(), Staff.select().count()) == counts
    assert tokens


def _grid_tokens(response) -> set[str]:
    """The row tokens in the grid's table (the filter bar may name a chosen customer)."""
    page = response.get_data(as_text=True)
    start = page.find("model-list")
    return set(TOKEN.findall(page[start : page.find("</table>", start)])) if start >= 0 else set()


class _Spy(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (the http.server name)
        _Spy.seen.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"GIF89a")

    def log_message(self, *args):
        pass


@pytest.fixture
def spy_server():
    server = HTTPServer(("127.0.0.1", 0), _Spy)
    _Spy.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_no_printout_reads_a_local_file_or_url(app, world, as_user, spy_server):
    """Every print action of every grid, on rows whose every text holds a file:// image, a
    loopback image and link: a PDF comes back, the loopback server saw no request, the PDF
    embeds no image and holds no line of /etc/passwd."""
    populate(world)

    def hostile(table, column, pk):
        return (
            f'<img src="file:///etc/passwd"><img src="{spy_server}/{table}/{column}.png">'
            f'<a href="{spy_server}/link">x</a><link rel="stylesheet" href="{spy_server}/c.css">'
        )

    fill_text(app, hostile)
    owner = as_user("owner")
    printed = set()
    for endpoint, view in views(app).items():
        kinds = [n for n, _label in getattr(view, "_actions", []) if n.startswith("print_")]
        with system():
            ids = [r.id for r in view.model.select(view.model.id)] if kinds else []
        for action in kinds:
            for pk in ids:
                response = owner.post(f"/admin/{endpoint}/action/", {"action": action, "rowid": pk})
                if response.mimetype == "application/pdf":
                    assert b"/Subtype /Image" not in response.data, (endpoint, action)
                    assert b"root:x:0:0" not in response.data, (endpoint, action)
                    printed.add((endpoint, action))
                    break
            else:
                pytest.fail(f"{endpoint} {action}: no row printed")
    assert len(printed) >= 7  # the customer card and the six vouchers
    assert _Spy.seen == []


def test_session_cookie_flags(app, world, client):
    response = client.login("sales1")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_configured(overrides, world):
    from app import create_app
    from tests.conftest import Client

    secured = create_app(overrides={**overrides, "security": {"secure_cookies": True}})
    secured.config.update(TESTING=True)
    client = Client(secured.test_client())
    cookie = client.login("sales1").headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pool_numbers_stay_masked_whatever_the_grid_arguments(app, world, as_user):
    """A pool customer's mobile is masked for salespeople and store staff (A4). Every grid they
    may open, with every filter argument (and sort) set to the pool customer's id: the whole
    number never shows. (It did: "Customer is …" named any id found in the arguments.)"""
    populate(world)
    for username in ("sales1", "store1"):
        person = as_user(username)
        for endpoint in _may(app, actor_of(getattr(world, username)), "view"):
            view = views(app)[endpoint]
            for arg in [*(view._filter_args or {}), "sort", "search"]:
                page = person.get(f"/admin/{endpoint}/", query_string={arg: world.c_pool.id})
                assert page.status_code < 500, (username, endpoint, arg)
                assert world.c_pool.phone not in page.get_data(as_text=True), (endpoint, arg)
