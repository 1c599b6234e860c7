"""Login lockout under concurrency, and no way to tell a known username from an unknown one
(issue 7 item 10). Failures are counted with one atomic UPDATE, never a versioned save."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

import rules.login
from models import Staff
from models.audit import utcnow
from tests.conftest import PASSWORD, Client, system

WRONG = ("Wrong username or password", "用户名或密码错误")
LOCKED = ("Too many failed logins", "登录失败次数过多")


def outcome(response) -> str:
    page = response.get_data(as_text=True)
    if response.status_code == 302:
        return "ok"
    if any(text in page for text in LOCKED):
        return "locked"
    if any(text in page for text in WRONG):
        return "wrong"
    return f"unexpected {response.status_code}"


def stored(username: str) -> Staff:
    with system():
        return Staff.get(Staff.username == username)


def test_twenty_parallel_wrong_passwords_lock_the_account_and_count_exactly(app, world):
    """Each request has its own client, thread and database connection; they hit the login
    at the same moment. Every failure is counted; only the first `max_failed_logins` attempts
    are judged on their password, the rest are refused as locked."""
    limit = app.config["MINGCRM"].security.max_failed_logins
    clients = [Client(app.test_client()) for _ in range(20)]
    for c in clients:
        c.token()  # fetch each CSRF token first, so the 20 POSTs start together
    barrier = threading.Barrier(len(clients))
    results: list[str] = []
    errors: list[BaseException] = []

    def attempt(c: Client) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(outcome(c.login("sales1", "wrong-password")))
        except BaseException as exc:  # noqa: BLE001  (reported below, in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    staff = stored("sales1")
    assert staff.failed_logins == 20
    assert staff.locked_until is not None and staff.locked_until > utcnow()
    assert sorted(results) == sorted(["wrong"] * limit + ["locked"] * (20 - limit))
    # and the right password is refused while the lock lasts
    assert outcome(Client(app.test_client()).login("sales1", PASSWORD)) == "locked"


def test_a_lock_ends_by_itself_and_a_login_resets_the_count(app, world, monkeypatch):
    limit = app.config["MINGCRM"].security.max_failed_logins
    minutes = app.config["MINGCRM"].security.lockout_minutes
    c = Client(app.test_client())
    for _ in range(limit):
        assert outcome(c.login("sales1", "wrong")) == "wrong"
    assert outcome(c.login("sales1", PASSWORD)) == "locked"
    later = utcnow() + timedelta(minutes=minutes, seconds=1)
    monkeypatch.setattr(rules.login, "utcnow", lambda: later)
    assert outcome(c.login("sales1", PASSWORD)) == "ok"
    staff = stored("sales1")
    assert staff.failed_logins == 0 and staff.locked_until is None
    assert staff.last_login_at == later


def test_a_fresh_window_after_the_lock_expires(app, world, monkeypatch):
    limit = app.config["MINGCRM"].security.max_failed_logins
    minutes = app.config["MINGCRM"].security.lockout_minutes
    c = Client(app.test_client())
    for _ in range(limit + 2):
        c.login("sales1", "wrong")
    later = utcnow() + timedelta(minutes=minutes, seconds=1)
    monkeypatch.setattr(rules.login, "utcnow", lambda: later)
    assert outcome(c.login("sales1", "wrong")) == "wrong"  # judged again, counted from 1
    assert stored("sales1").failed_logins == 1


def test_login_bookkeeping_does_not_touch_the_record_version(app, world):
    """An owner editing this person's record is not refused because someone mistyped."""
    before = stored("sales1").version
    c = Client(app.test_client())
    c.login("sales1", "wrong")
    c.login("sales1", PASSWORD)
    assert stored("sales1").version == before


@pytest.fixture
def hashes(monkeypatch):
    """Record each password hash the login checks (its method decides its cost)."""
    seen: list[str] = []
    real = rules.login.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        seen.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(rules.login, "check_password_hash", spy)
    return seen


@pytest.mark.parametrize("who", ["sales1", "nobody", "inactive", "locked"])
def test_every_refusal_costs_one_hash_of_the_same_method(app, world, hashes, who):
    """An unknown username costs as long as a known one: one hash check, same method."""
    import models.staff

    if who == "inactive":
        with system():
            world.sales2.active = False
            world.sales2.save()
    if who == "locked":
        for _ in range(app.config["MINGCRM"].security.max_failed_logins):
            Client(app.test_client()).login("sales1", "wrong")
    hashes.clear()
    username = {"inactive": "sales2", "locked": "sales1"}.get(who, who)
    response = Client(app.test_client()).login(username, "wrong-password")
    assert outcome(response) == ("locked" if who == "locked" else "wrong")
    assert hashes == [models.staff.PASSWORD_METHOD]


def test_unknown_username_gets_the_same_message_as_a_wrong_password(client, world):
    known = client.login("sales1", "wrong").get_data(as_text=True)
    unknown = client.login("no-such-person", "wrong").get_data(as_text=True)
    assert outcome_text(known) == outcome_text(unknown)


def outcome_text(page: str) -> list[str]:
    return [t for t in WRONG + LOCKED if t in page]


def test_the_dummy_hash_follows_the_password_method(monkeypatch):
    import models.staff

    for method in ("pbkdf2:sha256:1000", "pbkdf2:sha256:2000"):
        monkeypatch.setattr(models.staff, "PASSWORD_METHOD", method)
        assert rules.login.dummy_hash().startswith(method + "$")


def test_logins_leave_no_audit_row(app, as_user, world):
    """README "Audit trail": a login or a failed login is bookkeeping on the staff row (one
    UPDATE each: last login, failed count, lock), not a change of the record."""
    from models.audit import AuditLog

    with system():
        before = AuditLog.select().count()
    Client(app.test_client()).login("sales1", "wrong password")
    as_user("sales1")
    with system():
        assert AuditLog.select().count() == before
        assert stored("sales1").last_login_at is not None


def test_a_refused_language_save_is_reported_not_swallowed(as_user, world, monkeypatch, caplog):
    from rules import RuleViolation

    def refuse(self, *args, **kwargs):
        raise RuleViolation("Someone else saved this record after you opened it.")

    sales1 = as_user("sales1")
    monkeypatch.setattr(Staff, "save", refuse)
    page = sales1.post("/locale", {"locale": "en"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Someone else saved this record" in text
    assert any("language" in r.getMessage() for r in caplog.records)


def test_parallel_guessing_over_http_on_two_accounts(app, world):
    """Issue 11 item 4: a real threaded server, 2 accounts x 12 wrong guesses in one burst.
    Each account's count is exact, exactly `max_failed_logins` guesses per account were judged,
    and afterwards the right password is refused as locked (and counted too)."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    limit = app.config["MINGCRM"].security.max_failed_logins

    def opener():
        jar = http.cookiejar.CookieJar()
        o = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = o.open(f"{base}/login").read().decode()
        return o, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def attempt(username, password, o, token, out):
        form = {"username": username, "password": password, "csrf_token": token}
        response = o.open(f"{base}/login", urllib.parse.urlencode(form).encode())
        page = response.read().decode()
        if not response.url.endswith("/login"):
            out.append((username, "ok"))
        else:
            out.append((username, "locked" if any(t in page for t in LOCKED) else "wrong"))

    prepared = [(u, "wrong-password", *opener()) for u in ("sales1", "sales2") for _ in range(12)]
    barrier = threading.Barrier(len(prepared))
    outcomes: list[tuple[str, str]] = []

    def burst(*args):
        barrier.wait(timeout=30)
        attempt(*args, outcomes)

    threads = [threading.Thread(target=burst, args=a) for a in prepared]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        after: list[tuple[str, str]] = []
        for username in ("sales1", "sales2"):
            attempt(username, PASSWORD, *opener(), after)
    finally:
        server.shutdown()
        server.server_close()
    assert len(outcomes) == len(prepared)
    for username in ("sales1", "sales2"):
        mine = sorted(got for u, got in outcomes if u == username)
        assert mine == sorted(["wrong"] * limit + ["locked"] * (12 - limit)), username
        assert (username, "locked") in after
        staff = stored(username)
        assert staff.failed_logins == 13
        assert staff.locked_until is not None and staff.locked_until > utcnow()
