"""Custom fields: their definitions, the run-time columns, and the version every process checks.

A field is a real nullable column named x_<name> (so it can never clash with a shipped column
or a later numbered migration), added with ALTER TABLE ADD COLUMN and indexed. Each process
adds it to its peewee model (`_meta.add_field`) when `sync()` sees the version token change.
Removing hides the field (the column and its values stay, a CSV of them is kept); only a
purge drops the column.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from pathlib import Path
from typing import Any

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from models.audit import utcnow
from models.db import db
from rules import custom_fields as cf


class CustomField(Model):
    """One owner-defined field (migration 18)."""

    table = CharField(max_length=40)
    name = CharField(max_length=40)
    kind = CharField(max_length=10)
    label_en = CharField(max_length=80)
    label_zh = CharField(max_length=80)
    required = CharField(max_length=5, default="no")
    choices = TextField(default="[]")  # JSON [[key, en, zh], ...]
    link = CharField(max_length=40, default="")
    hidden = BooleanField(default=False)
    export_path = CharField(max_length=300, default="")
    created_by = CharField(max_length=80, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        table_name = "custom_field"
        indexes = ((("table", "name"), True),)

    def definition(self) -> cf.Definition:
        return cf.Definition(
            table=self.table,
            name=self.name,
            kind=self.kind,
            label_en=self.label_en,
            label_zh=self.label_zh,
            required=self.required,
            choices=tuple(tuple(c) for c in json.loads(self.choices or "[]")),
            link=self.link,
            hidden=self.hidden,
            id=self.id,
        )


class CustomFieldVersion(Model):
    """One row: a token changed on every definition change (each process compares it)."""

    id = IntegerField(primary_key=True)
    token = CharField(max_length=40)

    class Meta:
        database = db
        table_name = "custom_field_version"


SQL = {
    "text": "VARCHAR(200)",
    "number": "INTEGER",
    "money": "NUMERIC(12, 2)",
    "date": "DATE",
    "choice": "VARCHAR(40)",
    "yesno": "BOOLEAN",
    "link": "INTEGER",
}

# what this process has added to its models: (model, name) pairs, and the token they match
_added: list[tuple[Any, str]] = []
_state: dict[str, Any] = {"token": None}


def _models() -> dict[str, Any]:
    from models import GOVERNED

    return {m.model_key(): m for m in GOVERNED}


def peewee_field(d: cf.Definition) -> Any:
    """The model field for a definition (indexed: every custom field can be filtered)."""
    common = {"null": True, "column_name": d.name, "index": True}
    if d.kind == "text":
        return CharField(max_length=200, **common)
    if d.kind == "number":
        return IntegerField(**common)
    if d.kind == "money":
        return DecimalField(max_digits=12, decimal_places=2, auto_round=True, **common)
    if d.kind == "date":
        return DateField(**common)
    if d.kind == "choice":
        return CharField(max_length=40, choices=[(c[0], c[1]) for c in d.choices], **common)
    if d.kind == "yesno":
        return BooleanField(**common)
    return ForeignKeyField(_models()[d.link], backref="+", lazy_load=True, **common)


def reset() -> None:
    """Take every run-time field off the models (a new app starts from the database)."""
    for model, name in reversed(_added):
        if name in model._meta.fields:
            model._meta.remove_field(name)
    _added.clear()
    cf.ACTIVE.clear()
    _state["token"] = None


def current_token() -> str | None:
    try:
        row = CustomFieldVersion.select(CustomFieldVersion.token).first()
    except Exception:  # noqa: BLE001 - a database before migration 18 has no fields
        return None
    return row.token if row else None


def sync() -> bool:
    """Load the definitions when the version token changed; return True if it did."""
    token = current_token()
    if token == _state["token"]:
        return False
    reset()
    models = _models()
    if token is not None:
        for row in CustomField.select().where(~CustomField.hidden).order_by(CustomField.id):
            d = row.definition()
            model = models.get(d.table)
            if model is None or (d.kind == "link" and d.link not in models):
                continue
            model._meta.add_field(d.name, peewee_field(d))
            _added.append((model, d.name))
            cf.ACTIVE.setdefault(d.table, []).append(d)
    _state["token"] = token
    return True


def _bump() -> None:
    token = secrets.token_hex(8)
    if CustomFieldVersion.update(token=token).where(CustomFieldVersion.id == 1).execute() == 0:
        CustomFieldVersion.create(id=1, token=token)


def _index_name(table: str, name: str) -> str:
    return f"cf_{table}_{name}"


def column_ddl(table: str, name: str, kind: str) -> list[str]:
    """The statements that add a field's column and its index (also run by `move-to`)."""
    return [
        f'ALTER TABLE "{table}" ADD COLUMN "{name}" {SQL[kind]} NULL',
        f'CREATE INDEX IF NOT EXISTS "{_index_name(table, name)}" ON "{table}" ("{name}")',
    ]


def add(d: cf.Definition, created_by: str) -> CustomField:
    """Validate, add the column and its index, record the definition (RuleViolation if bad)."""
    from rules import RuleViolation

    models = _models()
    taken = {c.name for c in db.get_columns(d.table)} if d.table in models else set()
    taken |= set(CustomField.select(CustomField.name).where(CustomField.table == d.table)
                 .scalars()) if d.table in models else set()  # fmt: skip
    errors = cf.validate(d, set(models), taken)
    if errors:
        raise RuleViolation(errors)
    with db.atomic():
        for statement in column_ddl(d.table, d.name, d.kind):
            db.execute_sql(statement)
        row = CustomField.create(
            table=d.table,
            name=d.name,
            kind=d.kind,
            label_en=d.label_en.strip(),
            label_zh=d.label_zh.strip(),
            required=d.required,
            choices=json.dumps([list(c) for c in d.choices], ensure_ascii=False),
            link=d.link,
            created_by=created_by,
        )
        _bump()
    sync()
    return row


def values_csv(row: CustomField) -> str:
    """The column's values, one line per record that has one: id, value (formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", row.name])
    cursor = db.execute_sql(
        f'SELECT id, "{row.name}" FROM "{row.table}" WHERE "{row.name}" IS NOT NULL ORDER BY id'
    )
    for pk, value in cursor.fetchall():
        text = "" if value is None else str(value)
        writer.writerow([pk, "'" + text if text[:1] in "=+-@\t\r" and text else text])
    return out.getvalue()


def hide(row: CustomField, folder: Path) -> Path:
    """Remove a field from every page: keep the column and a CSV of its values."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{row.table}.{row.name}.{utcnow():%Y%m%d%H%M%S}.csv"
    path.write_text(values_csv(row), encoding="utf-8")
    with db.atomic():
        row.hidden = True
        row.export_path = str(path)
        row.save()
        _bump()
    sync()
    return path


def restore(row: CustomField) -> None:
    with db.atomic():
        row.hidden = False
        row.save()
        _bump()
    sync()


def purge(row: CustomField) -> None:
    """Drop a hidden field's column for good (the owner confirmed; its CSV stays on disk)."""
    from rules import RuleViolation

    if not row.hidden:
        raise RuleViolation({"__all__": [cf._("Remove the field before purging it.")]})
    with db.atomic():
        db.execute_sql(f'DROP INDEX IF EXISTS "{_index_name(row.table, row.name)}"')
        db.execute_sql(f'ALTER TABLE "{row.table}" DROP COLUMN "{row.name}"')
        row.delete_instance()
        _bump()
    sync()
