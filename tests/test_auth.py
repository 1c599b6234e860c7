"""Login, logout, lockout, session cookie and password-hash secrecy (issue 2 §4)."""

from __future__ import annotations

from tests.conftest import PASSWORD, Client, system


def test_login_and_logout(client, world):
    response = client.login("sales1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    home = client.get("/admin/")
    assert home.status_code == 200 and "Sales1" in home.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, world):
    response = client.login("sales1", "wrong")
    assert response.status_code == 200
    assert "Wrong username or password" in response.get_data(
        as_text=True
    ) or "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_repeated_failures_lock_the_account(app, client, world):
    limit = app.config["MINGCRM"].security.max_failed_logins
    for _ in range(limit):
        client.login("sales1", "wrong")
    # even the right password is refused while locked
    response = client.login("sales1", PASSWORD)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    with system():
        from models import Staff

        assert Staff.get(username="sales1").locked_until is not None


def test_session_cookie_is_httponly_and_samesite(client, world):
    response = client.login("sales1")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_after_login_is_refused(app, world):
    c = Client(app.test_client())
    token = c.token()
    response = c.c.post(
        "/login?next=https://evil.example/x",
        data={"username": "sales1", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/admin/")


def test_inactive_staff_cannot_log_in(client, world):
    with system():
        world.sales1.active = False
        world.sales1.save()
    assert client.login("sales1").status_code == 200


def test_password_hash_never_shown_edited_or_exported(as_user, world):
    owner = as_user("owner")
    pages = [
        owner.get("/admin/staff/").get_data(as_text=True),
        owner.get(f"/admin/staff/details/?id={world.sales1.id}").get_data(as_text=True),
        owner.get(f"/admin/staff/edit/?id={world.sales1.id}").get_data(as_text=True),
        owner.get("/admin/staff/export/csv/").get_data(as_text=True),
    ]
    for page in pages:
        assert world.sales1.password_hash[:20] not in page
        assert "password_hash" not in page
    owner.post("/admin/staff/ajax/update/", {"list_form_pk": world.sales1.id, "password_hash": "x"})
    with system():
        from models import Staff

        assert Staff.get_by_id(world.sales1.id).password_hash == world.sales1.password_hash
