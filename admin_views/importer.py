"""CSV import for every grid: a dry run, an error per row and field, all-or-nothing saving.

Each row is saved through the model's save(), so the rules (required fields, A1 duplicates,
scope, approval order…) apply exactly as in a form. The whole file runs in one transaction that
is rolled back on a dry run or on any error, so nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import flash, request
from flask_admin import expose
from flask_babel import gettext as _
from peewee import BooleanField, DateField, ForeignKeyField

from models.db import db
from rules import RuleViolation

MAX_ROWS = 50_000


class _Rollback(Exception):
    pass


class ImportMixin:
    """Adds /import/ to a grid. `column_import_list` names the columns a file may carry;
    `import_lookups` maps a foreign key to (model, natural key), e.g. product → sku."""

    column_import_list: tuple[str, ...] | None = None
    import_lookups: dict[str, tuple[Any, str]] = {}

    @property
    def can_import(self) -> bool:
        return self.allowed("create") and bool(self.import_columns())

    def import_columns(self) -> list[str]:
        return list(self.column_import_list or ())

    def _header_map(self, header: list[str]) -> dict[int, str]:
        """CSV column index → field name; headers may be field names or their labels."""
        names = {n.lower(): n for n in self.import_columns()}
        names.update({str(self.get_column_name(n)).lower(): n for n in self.import_columns()})
        return {
            i: names[h.strip().lower()] for i, h in enumerate(header) if h.strip().lower() in names
        }

    def _value(self, name: str, raw: str) -> Any:
        field = getattr(self.model, name)
        raw = raw.strip()
        if raw == "":
            return None
        if isinstance(field, ForeignKeyField):
            model, key = self.import_lookups.get(name, (field.rel_model, "id"))
            row = model.get_or_none(getattr(model, key) == raw)
            if row is None:
                raise RuleViolation(
                    {
                        name: [
                            _(
                                'No %(what)s "%(value)s".',
                                what=str(self.get_column_name(name)),
                                value=raw,
                            )
                        ]
                    }
                )
            return row.id
        if isinstance(field, BooleanField):
            return raw.lower() in ("1", "true", "yes", "y", "是", "√")
        value = field.python_value(field.db_value(raw))
        if isinstance(field, DateField) and not isinstance(value, date):
            raise ValueError(raw)
        return value

    def _import_row(self, values: dict[str, str]) -> None:
        record = self.model()
        problems: dict[str, list[str]] = {}
        for name, raw in values.items():
            try:
                setattr(record, name, self._value(name, raw))
            except RuleViolation as exc:
                problems.update(exc.errors)
            except (ValueError, TypeError, ArithmeticError):
                problems[name] = [_('"%(value)s" is not a valid value.', value=raw)]
        if problems:
            raise RuleViolation(problems)
        self.on_model_change(None, record, True)
        record.save()

    def run_import(self, text: str, dry_run: bool) -> tuple[int, list[str]]:
        """Import CSV text; return (rows saved, one message per problem). Saves all or none."""
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            return 0, [_("The file is empty.")]
        columns = self._header_map(rows[0])
        if not columns:
            return 0, [
                _(
                    "No known column in the first line. Use: %(cols)s",
                    cols=", ".join(self.import_columns()),
                )
            ]
        if len(rows) - 1 > MAX_ROWS:
            return 0, [_("At most %(n)d rows per file.", n=MAX_ROWS)]
        errors: list[str] = []
        saved = 0
        try:
            with db.atomic():
                for number, row in enumerate(rows[1:], start=2):
                    values = {name: row[i] if i < len(row) else "" for i, name in columns.items()}
                    try:
                        with db.atomic():
                            self._import_row(values)
                        saved += 1
                    except RuleViolation as exc:
                        for name, messages in exc.errors.items():
                            label = "" if name == "__all__" else f"{self.get_column_name(name)}: "
                            errors.extend(
                                _("Row %(row)d", row=number) + f" — {label}{m}" for m in messages
                            )
                if errors or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return (0 if errors else saved), errors

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self) -> Any:
        if not self.can_import:
            return self.inaccessible_callback("import")
        result = None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("Choose a CSV file."), "error")
            else:
                text = upload.read().decode("utf-8-sig", errors="replace")
                dry_run = request.form.get("dry_run") == "1"
                saved, errors = self.run_import(text, dry_run)
                result = {
                    "saved": saved,
                    "errors": errors[:200],
                    "more": len(errors) - 200,
                    "dry_run": dry_run,
                }
        return self.render("grid/import.html", result=result, columns=self.import_columns())
