"""MingCRM: create_app() and the command line (flask --app app COMMAND)."""

from __future__ import annotations

import os
import secrets
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask

import rules
from models import GOVERNED, MODELS, db
from models.db import open_database
from rules.config import PROJECT_DIR, ConfigError, load_settings

INSTANCE_DIR = PROJECT_DIR / "instance"


def _secret_key() -> str:
    """MINGCRM_SECRET_KEY, else a key generated once into instance/secret_key."""
    if os.environ.get("MINGCRM_SECRET_KEY"):
        return os.environ["MINGCRM_SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        # Several web workers may start at once: the first to create the file wins and the
        # others read its key, so every worker signs sessions with the same key.
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    for _ in range(50):  # a worker that lost the race may look before the winner wrote
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.1)
    raise RuntimeError(f"{path} is empty: delete it, or set MINGCRM_SECRET_KEY")


def _cli_command() -> str | None:
    """The flask subcommand being run (`flask --app app NAME`), or None outside the CLI."""
    program = Path(sys.argv[0])
    if program.name != "flask" and program.parent.name != "flask":
        return None
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg in ("--app", "-A", "-e", "--env-file"):
            continue
        if not arg.startswith("-") and (
            i == 0 or args[i - 1] not in ("--app", "-A", "-e", "--env-file")
        ):
            return arg
    return None


def load(
    config_path: str | Path | None = None,
    overrides: dict | None = None,
    processes: tuple[str, ...] = (),
):
    """Validate the config against the real models, jobs and workflow effects, and install it
    for the rules. `processes`: extra process modules (tests only), each with its effects and
    an optional MODELS list; production finds its processes in rules/effects/."""
    import importlib

    from rules.workflow import discover
    from tasks import JOBS

    path = config_path or os.environ.get("MINGCRM_CONFIG") or None
    rules.discover_rules()
    active = discover(processes)
    models = dict(MODELS)
    governed = [m.model_key() for m in GOVERNED]
    for name in processes:
        extra = getattr(importlib.import_module(name), "MODELS", [])
        models.update({m.model_key(): m for m in extra})
        governed += [m.model_key() for m in extra]
    settings = load_settings(
        path, overrides, models=models, jobs=set(JOBS), processes=active, governed=governed
    )
    rules.configure(settings, active)
    return settings


def create_app(
    config_path: str | Path | None = None,
    overrides: dict | None = None,
    processes: tuple[str, ...] = (),
) -> Flask:
    """Build the web app from a config file (default config.toml); raise ConfigError if bad."""
    from_cli = config_path is None and overrides is None and _cli_command() is not None
    if from_cli and _cli_command() == "check-config":
        app = Flask(__name__)  # a broken config must still be checkable
        app.cli.add_command(check_config)
        return app
    try:
        settings = load(config_path, overrides, processes)
    except ConfigError as exc:
        if not from_cli:
            raise
        click.secho("\n".join([f"{exc.source}:", *exc.errors]), fg="red", err=True)
        sys.exit(1)
    open_database(settings.database.url)

    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_DIR / "admin_views" / "templates"),
    )
    app.config.update(
        SECRET_KEY=_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.security.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.security.session_hours),
        WTF_CSRF_TIME_LIMIT=None,
        MINGCRM=settings,
    )
    from admin_views import init_web
    from tasks import configure_queue

    configure_queue(settings)
    init_web(app, settings)
    from tasks.data.cli import backup_command, move_to_command, restore_command

    for command in (
        check_config,
        migrate_command,
        seed_demo,
        run_job,
        serve,
        print_command,
        backup_command,
        restore_command,
        move_to_command,
    ):
        app.cli.add_command(command)
    return app


@click.command("check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def check_config(path: str | None) -> None:
    """Validate a config file (default: $MINGCRM_CONFIG or config.toml); print OK or errors."""
    try:
        load(path)
    except ConfigError as exc:
        click.echo("\n".join([f"{exc.source}:", *exc.errors]))
        sys.exit(1)
    click.echo("OK")


@click.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the database schema in place."""
    from models.migrations import LATEST, migrate

    applied = migrate()
    click.echo(f"schema at version {LATEST}" + (f" (applied {applied})" if applied else ""))


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no staff yet.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo company (idempotent): one login per role, stores, products, customers."""
    from models import Staff
    from models.demo import seed

    with rules.acting_as(rules.SYSTEM), db.connection_context():
        if if_empty and Staff.select().exists():
            click.echo("database already has data; demo not loaded")
            return
        counts = seed()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@click.command("run-job")
@click.argument("name")
@click.option("--now", "now", default=None, help="Run as if the clock read this ISO time.")
def run_job(name: str, now: str | None) -> None:
    """Run one periodic job once, now or at a given clock."""
    from tasks import JOBS

    if name not in JOBS:
        raise click.BadParameter(f"no job {name!r}; jobs: {', '.join(sorted(JOBS))}")
    when = datetime.fromisoformat(now) if now else None
    click.echo(JOBS[name].run(when))


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-consumer", is_flag=True, help="Serve only; run huey_consumer separately.")
def serve(host: str, port: int, no_consumer: bool) -> None:
    """Serve the web app with an in-process job consumer (the `make run` form)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from tasks import start_consumer

    consumer: Any = None if no_consumer else start_consumer()
    jobs = "separate huey_consumer" if no_consumer else "in-process consumer"
    click.echo(f"MingCRM on http://{host}:{port}/ (jobs: {jobs})")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


@click.command("print")
@click.argument("kind")
@click.argument("numbers", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
def print_command(kind: str, numbers: tuple[str, ...], output: str) -> None:
    """Print a voucher for one or more sales orders into a PDF file."""
    from models import SalesOrder
    from printouts import PrintError, render_pdf
    from rules.printing import check_printable

    with rules.acting_as(rules.SYSTEM), db.connection_context():
        orders = []
        for number in numbers:
            order = SalesOrder.get_or_none(SalesOrder.number == number)
            if order is None:
                raise click.BadParameter(f"no sales order {number}")
            try:
                check_printable(kind, order)
            except (rules.RuleViolation, ValueError) as exc:
                raise click.ClickException(str(exc)) from exc
            orders.append(order)
        try:
            data = render_pdf(kind, orders)
        except (PrintError, rules.RuleViolation) as exc:
            raise click.ClickException(str(exc)) from exc
    Path(output).write_bytes(data)
    click.echo(f"{output}: {kind}, {len(orders)} order(s), {len(data)} bytes")
