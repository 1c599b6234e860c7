"""The commands: `flask --app app backup [--to PATH]`, `restore PATH --yes`, `move-to URL`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from models.db import sqlite_path
from models.migrations import LATEST
from rules.config import PROJECT_DIR
from tasks.data.backup import BackupError, backup_postgres, backup_sqlite, target_path
from tasks.data.move_to import MoveError, move_to
from tasks.data.restore import restore_sqlite

BACKUPS = PROJECT_DIR / "instance" / "backups"


def _url() -> str:
    return current_app.config["MINGCRM"].database.url


def _counts(counts: dict[str, int]) -> None:
    width = max(map(len, counts), default=0)
    for table, rows in counts.items():
        click.echo(f"  {table:<{width}}  {rows:>10}")


@click.command("backup")
@click.option(
    "--to",
    "to",
    default=None,
    help="File (or folder) for the backup; default instance/backups/mingcrm-<UTC time>.",
)
@with_appcontext
def backup_command(to: str | None) -> None:
    """Back up the live database: SQLite online and consistent, PostgreSQL through pg_dump."""
    url = _url()
    try:
        if url.startswith("sqlite:///"):
            result = backup_sqlite(sqlite_path(url), target_path(to, BACKUPS, ".db"))
        else:
            result = backup_postgres(url, target_path(to, BACKUPS, ".dump"))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{result.path}: {result.size} bytes")
    if result.counts:
        click.echo(f"integrity_check ok, schema version {result.version}; rows per table:")
        _counts(result.counts)
    else:
        click.echo(f"restore it with: pg_restore --no-owner --dbname=URL {result.path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm: the current database is replaced.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the SQLite database with a backup (the old file is kept as .before-restore)."""
    url = _url()
    if not url.startswith("sqlite:///"):
        raise click.ClickException(
            "restore puts back SQLite backups. For PostgreSQL use pg_restore: "
            "pg_restore --no-owner --clean --if-exists --dbname=URL BACKUP.dump"
        )
    live = sqlite_path(url)
    if not yes:
        raise click.ClickException(
            f"restore replaces {live} with {path}; stop the web and job processes, "
            "then run it again with --yes"
        )
    try:
        result = restore_sqlite(Path(path), live)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {path} into {live} (schema version {result.found.version})")
    if result.previous:
        click.echo(f"the database it replaced is kept as {result.previous}")
    if result.found.version < LATEST:
        click.echo(f"run `flask --app app migrate` to bring it to version {LATEST}")
    _counts(result.found.counts)


@click.command("move-to")
@click.argument("url")
@click.option("--batch", default=1000, show_default=True, help="Rows per INSERT.")
@with_appcontext
def move_to_command(url: str, batch: int) -> None:
    """Copy this SQLite installation into an empty PostgreSQL database, then compare them."""
    source = _url()
    if not source.startswith("sqlite:///"):
        raise click.ClickException("move-to copies a SQLite installation; this one is not")
    try:
        checks = move_to(sqlite_path(source), url, batch, echo=click.echo)
    except (MoveError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    width = max((len(c.table) for c in checks), default=5)
    click.echo(f"{'table':<{width}}  {'source':>9}  {'target':>9}  {'md5 source':<12}  "
               f"{'md5 target':<12}  result")  # fmt: skip
    for c in checks:
        click.echo(
            f"{c.table:<{width}}  {c.source.rows:>9}  {c.target.rows:>9}  "
            f"{c.source.md5[:12]:<12}  {c.target.md5[:12]:<12}  " + ("ok" if c.ok else "MISMATCH")
        )
    bad = [c.table for c in checks if not c.ok]
    if bad:
        click.secho(f"the copy differs in: {', '.join(bad)}", fg="red", err=True)
        raise SystemExit(1)
    click.echo(f"every table matches; set [database] url = {url!r} in config.toml to use it")
