"""Login, logout and language choice. Repeated failed logins lock the account for a while."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from models.audit import utcnow
from models.staff import Staff
from rules import SYSTEM, Actor, RuleViolation, acting_as, settings

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
    staff = Staff.select().where((Staff.id == int(user_id)) & Staff.active).first()
    if staff is None or session.get("pw") != staff.password_hash[-16:]:
        return None
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


def _record_attempt(staff: Staff, ok: bool) -> None:
    """Count failures and lock after the configured number; reset on success (as SYSTEM)."""
    sec = settings().security
    with acting_as(SYSTEM):
        if ok:
            staff.failed_logins, staff.locked_until, staff.last_login_at = 0, None, utcnow()
        else:
            staff.failed_logins += 1
            if staff.failed_logins >= sec.max_failed_logins:
                staff.locked_until = utcnow() + timedelta(minutes=sec.lockout_minutes)
                staff.failed_logins = 0
        try:
            staff.save()
        except RuleViolation:
            pass  # the login outcome stands even if bookkeeping fails


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        staff = Staff.select().where(Staff.username == form.username.data.strip()).first()
        if staff and staff.locked_until and staff.locked_until > utcnow():
            flash(
                _(
                    "Too many failed logins. Try again in %(minutes)d minutes.",
                    minutes=settings().security.lockout_minutes,
                ),
                "error",
            )
        elif staff and staff.active and staff.check_password(form.password.data):
            _record_attempt(staff, ok=True)
            session.clear()
            session["pw"] = staff.password_hash[-16:]
            session.permanent = True
            login_user(SessionUser(staff))
            return redirect(_safe_next(request.args.get("next")))
        else:
            if staff:
                _record_attempt(staff, ok=False)
            flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form, locales=LOCALES)


@bp.route("/logout", methods=["POST"])
def logout():
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
                except RuleViolation:
                    pass  # the session choice still applies
    return redirect(_safe_next(request.form.get("next")))
