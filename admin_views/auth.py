"""Login, logout and language choice. Repeated failed logins lock the account for a while;
the bookkeeping and the session checks are in rules/login.py."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from models.staff import Staff
from rules import SYSTEM, Actor, RuleViolation, acting_as, settings
from rules import login as login_rules

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
LOCALES = ("zh_CN", "en")


class SessionUser(UserMixin):
    """The logged-in person, carried by Flask-Login."""

    def __init__(self, staff: Staff):
        self.staff = staff
        self.id = str(staff.id)

    def actor(self) -> Actor:
        s = self.staff
        return Actor(id=s.id, username=s.username, roles=s.role_set, store_id=s.store_id)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    """The session's person while the session lives: its epoch is current (no logout or new
    password since), and it is within [security] session_hours and idle_minutes."""
    staff = Staff.select().where((Staff.id == int(user_id)) & Staff.active).first()
    if staff is None or not login_rules.session_alive(staff, session):
        return None
    login_rules.touch(session)
    return SessionUser(staff)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def safe_target(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback` (no open redirect, no
    javascript: links)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlparse(target)
        if not parts.netloc and not parts.scheme:
            return target
    return fallback


def _safe_next(target: str | None) -> str:
    return safe_target(target, url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = login_rules.attempt_login(form.username.data, form.password.data)
        if attempt.result == login_rules.OK:
            session.clear()
            session.update(login_rules.session_stamp(attempt.staff))
            session.permanent = True
            login_user(SessionUser(attempt.staff))
            return redirect(_safe_next(request.args.get("next")))
        if attempt.result == login_rules.LOCKED:
            flash(
                _(
                    "Too many failed logins. Try again in %(minutes)d minutes.",
                    minutes=settings().security.lockout_minutes,
                ),
                "error",
            )
        else:  # a wrong password and an unknown username read the same
            flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form, locales=LOCALES)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:  # every copy of this session's cookie stops working
        login_rules.end_sessions(current_user.staff.id)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/locale", methods=["POST"])
def set_locale():
    """Switch the UI language; remembered per person when logged in."""
    choice = request.form.get("locale", "")
    if choice in LOCALES:
        session["locale"] = choice
        if current_user.is_authenticated:
            staff = current_user.staff
            staff.locale = choice
            with acting_as(SYSTEM):  # a personal preference, not an edit of the staff table
                try:
                    staff.save()
                except RuleViolation as exc:  # the session choice still applies; say so
                    log.warning("language choice of %s not saved: %s", staff.username, exc)
                    flash(_("Your language choice was not saved: %(error)s", error=exc), "error")
    return redirect(_safe_next(request.form.get("next")))
