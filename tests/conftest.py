"""Fixtures: a fresh app and database per test (SQLite, or PostgreSQL when
MINGCRM_TEST_DATABASE_URL is set), clients logged in as real roles, and a query counter."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest

import rules
from app import create_app
from models import Customer, Location, Product, Staff, db
from models import staff as staff_module
from models.migrations import migrate

PG_URL = os.environ.get("MINGCRM_TEST_DATABASE_URL")
if PG_URL:  # one schema per test process, so parallel runs on one server never collide
    import psycopg2

    _schema = f"mingcrm_test_{os.getpid()}"
    with psycopg2.connect(PG_URL) as _con, _con.cursor() as _cur:
        _cur.execute(f"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}")
    PG_URL = f"{PG_URL}{'&' if '?' in PG_URL else '?'}schema={_schema}"
staff_module.PASSWORD_METHOD = "pbkdf2:sha256:1000"  # fast hashes for test logins
PASSWORD = "test-pass-123"


def _drop_everything() -> None:
    db.execute_sql(f"DROP SCHEMA IF EXISTS {_schema} CASCADE; CREATE SCHEMA {_schema}")


@pytest.fixture
def overrides(tmp_path):
    """Config overrides for a test: its own database, jobs run immediately in memory, and
    with MINGCRM_TEST_SYSTEM_FONTS=0 printouts as on a machine with no CJK font installed."""
    return {
        "database": {"url": PG_URL or f"sqlite:///{tmp_path}/test.db"},
        "tasks": {"url": "memory://", "immediate": True},
        "printing": {"system_fonts": os.environ.get("MINGCRM_TEST_SYSTEM_FONTS", "1") != "0"},
    }


@contextmanager
def fresh_database(*extra_tables):
    """A migrated, empty database for the block (plus test-only tables), dropped after it."""
    with db.connection_context():
        if PG_URL:
            _drop_everything()
        migrate()
        if extra_tables:
            db.create_tables(extra_tables)
    yield
    if not db.is_closed():
        db.close()
    if PG_URL:
        with db.connection_context():
            _drop_everything()


@pytest.fixture
def app(overrides):
    application = create_app(overrides=overrides)
    application.config.update(TESTING=True)
    with fresh_database():
        yield application
    db.obj.close_all() if hasattr(db.obj, "close_all") else None


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@contextmanager
def system():
    """Act as SYSTEM with an open connection (test setup)."""
    with db.connection_context(), rules.acting_as(rules.SYSTEM):
        yield


def actor_of(staff: Staff) -> rules.Actor:
    return rules.Actor(
        id=staff.id, username=staff.username, roles=staff.role_set, store_id=staff.store_id
    )


def make_staff(username: str, roles: str, store: Location | None = None) -> Staff:
    person = Staff(username=username, display_name=username.title(), roles=roles, store=store)
    person.set_password(PASSWORD)
    person.save()
    return person


class World:
    """A small company: HQ, two stores, one person per role, customers in each scope."""

    def __init__(self) -> None:
        self.hq = Location(code="WH01", name="总部仓库", kind="warehouse")
        self.hq.save()
        self.s1 = Location(code="S01", name="南京西路店", kind="store")
        self.s1.save()
        self.s2 = Location(code="S02", name="徐家汇店", kind="store")
        self.s2.save()
        self.owner = make_staff("owner", "owner")
        self.sales1 = make_staff("sales1", "salesperson")
        self.sales2 = make_staff("sales2", "salesperson")
        self.supervisor = make_staff("supervisor", "sales_supervisor")
        self.finance = make_staff("finance", "finance")
        self.warehouse = make_staff("warehouse", "warehouse")
        self.store1 = make_staff("store1", "store_staff", self.s1)
        self.store2 = make_staff("store2", "store_staff", self.s2)
        self.marketing = make_staff("marketing", "marketing")
        self.reception = make_staff("reception", "receptionist")
        self.c_sales1 = self.customer("王秀英", "13900000001", owner=self.sales1)
        self.c_sales2 = self.customer("李建国", "13900000002", owner=self.sales2)
        self.c_pool = self.customer("张丽娟", "13900000003")
        self.c_store1 = self.customer("刘海燕", "13900000004", owner=self.store1, store=self.s1)
        self.c_store2 = self.customer("陈志强", "13900000005", owner=self.store2, store=self.s2)
        self.product = Product(sku="HP-001", name="蜂胶软胶囊", unit="瓶", price=Decimal("198.00"))
        self.product.save()

    @staticmethod
    def customer(name, phone, owner=None, store=None, **extra) -> Customer:
        row = Customer(
            name=name,
            phone=phone,
            gender="F",
            address="上海市静安区",
            owner=owner,
            store=store,
            **extra,
        )
        row.save()
        return row


@pytest.fixture
def world(app):
    with system():
        return World()


class Client:
    """A test client that logs in and sends the CSRF token like a browser would."""

    def __init__(self, flask_client):
        self.c = flask_client
        self._token = None

    def __getattr__(self, name):
        return getattr(self.c, name)

    def token(self) -> str:
        if self._token is None:
            page = self.c.get("/login", follow_redirects=True).get_data(as_text=True)
            self._token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self._token

    def login(self, username: str, password: str = PASSWORD):
        self._token = None  # a logout may have cleared the session
        response = self.c.post(
            "/login", data={"username": username, "password": password, "csrf_token": self.token()}
        )
        self._token = None  # the session is renewed at login
        return response

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.c.post(url, data=data, **kw)


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def as_user(app, world):
    """as_user("sales1") -> a client logged in as that demo person."""

    def login(username: str) -> Client:
        c = Client(app.test_client())
        response = c.login(username)
        assert response.status_code == 302, f"login as {username} failed"
        return c

    return login


class QueryCounter:
    def __init__(self):
        self.sql: list[str] = []

    @property
    def count(self) -> int:
        return len(self.sql)


@contextmanager
def count_queries():
    """Count the SQL statements the database runs inside the block."""
    counter = QueryCounter()
    real = type(db.obj).execute_sql

    def spy(self, sql, params=None, *args, **kwargs):
        counter.sql.append(sql)
        return real(self, sql, params, *args, **kwargs)

    type(db.obj).execute_sql = spy
    try:
        yield counter
    finally:
        type(db.obj).execute_sql = real
