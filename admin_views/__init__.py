"""Wire the web side: login, CSRF, languages, request hooks and the admin grids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request, session
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

import rules
from admin_views import outage
from admin_views.i18n_extra import datepicker_locale, flask_admin_texts, key_text
from models import db
from rules import i18n

HERE = Path(__file__).resolve().parent


def select_locale() -> str:
    """Per person (navbar choice), then this browser's session, then config."""
    if g.get("database_fault"):  # the person's row cannot be read: keep to the session
        return session.get("locale") or rules.settings().app.default_locale
    if current_user and current_user.is_authenticated and current_user.staff.locale:
        return current_user.staff.locale
    return session.get("locale") or rules.settings().app.default_locale


def _before_request() -> None:
    db.connect(reuse_if_open=True)
    g.actor = current_user.actor() if current_user.is_authenticated else None
    rules.set_actor(g.actor)
    i18n.locale.set(select_locale())


def _teardown(_exc: Any) -> None:
    rules.set_actor(None)  # a thread reused for the next request starts with nobody acting
    i18n.locale.set("en")  # and with the neutral language for CLI/job messages
    if not db.is_closed():
        db.close()


def init_web(app: Flask, settings: Any) -> None:
    """Attach every web component to `app`."""
    from admin_views import custom_fields, export_job_run
    from admin_views.auth import bp as auth_bp
    from admin_views.auth import login_manager
    from admin_views.home import HomeView
    from admin_views.registry import add_views

    CSRFProtect(app)
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: settings.app.timezone,
        default_translation_directories=str(HERE / "translations"),
    )
    login_manager.init_app(app)
    app.register_blueprint(auth_bp)
    app.before_request(_before_request)
    app.before_request(custom_fields.before_request)  # issue 10 item 4: run-time fields
    app.teardown_request(_teardown)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return render_template("errors/csrf.html", reason=exc.description), 400

    outage.install(app)  # issue 11 item 3: a database outage is a clear 503

    @app.errorhandler(403)
    def forbidden(_exc: Any) -> Any:
        return render_template("errors/403.html"), 403

    app.add_template_filter(localtime)
    app.add_template_global(key_text)
    app.add_template_filter(flask_admin_texts)
    app.add_template_global(datepicker_locale)

    @app.context_processor
    def layout_globals() -> dict[str, Any]:
        return {
            "company": settings.company,
            "current_locale": select_locale(),
            "role_label": role_label,
            "request_path": request.full_path,
            "unread_count": unread_count,
            "state_label": state_label,
            "company_name": settings.company.name_en
            if select_locale() == "en" and settings.company.name_en
            else settings.company.name,
        }

    admin = Admin(
        app,
        name=settings.company.name,
        url="/admin",
        endpoint="admin",
        index_view=HomeView(url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="layout.html", fluid=True),
        translations_path=str(HERE / "translations"),  # Flask-Admin's strings: see Makefile
    )
    custom_fields.start()  # the models start from this database's definitions
    add_views(admin)
    export_job_run.use_app(app)  # a worker's export job rebuilds its request from this app

    @app.route("/favicon.ico")
    def favicon() -> Any:  # browsers ask for it at the root, before reading the page
        return app.send_static_file("favicon.ico")

    @app.route("/")
    def root() -> Any:
        from flask import redirect, url_for

        return redirect(url_for("admin.index"))


def localtime(value: Any) -> str:
    """A stored UTC time shown in the configured zone."""
    from flask_babel import format_datetime

    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def unread_count() -> int:
    """Unread messages of the logged-in person (one indexed count, for the navbar badge)."""
    from models import Notification

    if not current_user.is_authenticated:
        return 0
    return (
        Notification.select()
        .where((Notification.recipient == current_user.staff.id) & Notification.read_at.is_null())
        .count()
    )


def state_label(state: str, table: str = "sales_order") -> str:
    """A workflow state (or the state an action leads to) as shown: its configured label in
    the current language ("Verified", "已审核"); anything else translated."""
    from flask_babel import get_locale, gettext

    from rules.workflow import workflow

    wf = workflow(table)
    found = wf.state(state) if wf else None
    if wf and found is None:  # an action: shown as the state it leads to
        to = next((t.to for t in wf.transitions if t.action == state), None)
        found = wf.state(to) if to else None
    if found is not None:
        return found.label.zh_CN if str(get_locale()).startswith("zh") else found.label.en
    text = gettext(state)
    return text[:1].upper() + text[1:] if text.isascii() else text


def role_label(role: str) -> str:
    """The configured label of a role in the current language."""
    from flask_babel import get_locale

    label = rules.settings().roles.get(role)
    if label is None:
        return role
    # the page's language, also while an export streams after the request's own hooks
    return label.zh_CN if str(get_locale()).startswith("zh") else label.en
