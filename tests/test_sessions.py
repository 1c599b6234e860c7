"""A session ends at logout, at a new password, after [security] session_hours however busy,
and after idle_minutes without a request (issue 7 item 11). Time is moved by patching the
login clock, never by sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest

import rules.login
from models import Staff
from models.audit import utcnow
from tests.conftest import Client, system


class Clock:
    """The login clock, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(rules.login, "utcnow", c)
    return c


def copy_of(app, c: Client):
    """A second browser holding a copy of `c`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", c.c.get_cookie("session").value)
    return thief


def logged_in(response) -> bool:
    return response.status_code == 200


def test_a_copied_cookie_stops_working_at_logout(app, world):
    c = Client(app.test_client())
    c.login("sales1")
    thief = copy_of(app, c)
    assert logged_in(thief.get("/admin/"))
    assert c.post("/logout").status_code == 302
    response = thief.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_persons_sessions_on_every_device(app, world):
    desk, phone = Client(app.test_client()), Client(app.test_client())
    desk.login("sales1")
    phone.login("sales1")
    other = Client(app.test_client())
    other.login("sales2")
    desk.post("/logout")
    assert not logged_in(phone.get("/admin/"))
    assert logged_in(other.get("/admin/"))  # another person's session is untouched
    assert desk.login("sales1").status_code == 302  # and a new login works
    assert logged_in(desk.get("/admin/"))


def test_a_session_ends_after_session_hours_however_busy(app, world, clock):
    hours = app.config["MINGCRM"].security.session_hours
    idle = app.config["MINGCRM"].security.idle_minutes
    c = Client(app.test_client())
    c.login("sales1")
    step = timedelta(minutes=idle - 1)
    used = timedelta(0)
    while used + step < timedelta(hours=hours):
        clock.advance(minutes=idle - 1)
        used += step
        assert logged_in(c.get("/admin/")), f"refused after {used}"
    clock.advance(minutes=idle - 1)
    assert not logged_in(c.get("/admin/"))


def test_a_session_ends_after_idle_minutes(app, world, clock):
    idle = app.config["MINGCRM"].security.idle_minutes
    c = Client(app.test_client())
    c.login("sales1")
    clock.advance(minutes=idle - 1)
    assert logged_in(c.get("/admin/"))  # a request restarts the idle clock
    clock.advance(minutes=idle - 1)
    assert logged_in(c.get("/admin/"))
    clock.advance(minutes=idle, seconds=1)
    assert not logged_in(c.get("/admin/"))


def test_a_new_password_ends_sessions_through_the_same_epoch(app, world):
    c = Client(app.test_client())
    c.login("sales1")
    with system():
        staff = Staff.get_by_id(world.sales1.id)
        epoch = staff.session_epoch
        staff.set_password("a-new-password-1")
        staff.save()
        assert Staff.get_by_id(world.sales1.id).session_epoch == epoch + 1
    assert not logged_in(c.get("/admin/"))


def test_an_owners_stale_edit_does_not_revive_ended_sessions(app, world):
    """The owner opened sales1's record before sales1 logged out; saving it later must not
    write the old epoch (or failure count) back."""
    with system():
        opened = Staff.get_by_id(world.sales1.id)
    c = Client(app.test_client())
    c.login("sales1")
    thief = copy_of(app, c)
    c.post("/logout")
    with system():
        opened.display_name = "Renamed"
        opened.save()
    assert not logged_in(thief.get("/admin/"))


def test_idle_minutes_is_validated():
    from rules.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"security": {"idle_minutes": 0}})
    assert "security.idle_minutes" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"security": {"session_hours": 1, "idle_minutes": 90}})
    assert "security.idle_minutes" in str(err.value)
