"""Import for every grid (issue 9, item 5): CSV (UTF-8, GBK/GB18030) or XLSX, headers and choice
values in either language, a column-mapping step, a dry run, an error per row and field, a file
of the rows with their errors to fix and upload again, and a template per grid.

Each row is saved through the model's save(), so the rules (required fields, A1 duplicates,
scope, approval order…) apply exactly as in a form. The whole file runs in one transaction that
is rolled back on a dry run or on any error, so nothing is half-imported.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, g, request
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import BooleanField, DateField, ForeignKeyField

from admin_views.import_files import MAX_BYTES, UploadStore, csv_file, read_rows
from models.db import db
from rules import RuleViolation

MAX_ROWS = 50_000
LANGUAGES = ("en", "zh_CN")
ERRORS_HEADER = _l("Errors")  # the failed-rows file's last column; ignored when read back
TRUE = {"1", "true", "yes", "y", "是", "√", "✓", "t"}
FALSE = {"0", "false", "no", "n", "否", "×", "✗", "f"}


class _Rollback(Exception):
    pass


def _key(text: Any) -> str:
    return str(text).strip().lower()


def in_both_languages(text: Any) -> set[str]:
    """A lazy label as either language writes it, for matching ("gender", "Gender", "性别")."""
    found = {_key(text)}
    for locale in LANGUAGES:
        with force_locale(locale):
            found.add(_key(text))
    return found


def _invalid(name: str, raw: str) -> RuleViolation:
    return RuleViolation({name: [_('"%(value)s" is not a valid value.', value=raw)]})


class ImportMixin:
    """Adds /import/ to a grid. `column_import_list` names the columns a file may carry;
    `import_lookups` maps a foreign key to (model, natural key), e.g. product → sku."""

    column_import_list: tuple[str, ...] | None = None
    import_lookups: dict[str, tuple[Any, str]] = {}
    uploads = UploadStore()

    @property
    def can_import(self) -> bool:
        return self.allowed("create") and bool(self.import_columns())

    def import_columns(self) -> list[str]:
        return list(self.column_import_list or ())

    # -- reading a file's header and values ---------------------------------------------------
    def header_map(self, header: list[str]) -> tuple[dict[int, str], list[int]]:
        """Column index → field (by field name or label, in either language), and the indexes
        of the headers nobody knows (the mapping step asks about those)."""
        names: dict[str, str] = {}
        for name in self.import_columns():
            names.update(dict.fromkeys(in_both_languages(self.get_column_name(name)), name))
            names[name.lower()] = name
        ignored = in_both_languages(ERRORS_HEADER) | {""}
        known: dict[int, str] = {}
        unknown: list[int] = []
        for i, text in enumerate(header):
            if _key(text) in names and names[_key(text)] not in known.values():
                known[i] = names[_key(text)]
            elif _key(text) not in ignored:
                unknown.append(i)
        return known, unknown

    def import_choices(self, name: str) -> list[tuple[str, Any]]:
        choices = dict(self.column_choices or {}).get(name)
        choices = choices or (self.form_args or {}).get(name, {}).get("choices") or ()
        return [(key, label) for key, label in choices if key not in ("", None)]

    def _choice_map(self, name: str) -> dict[str, str]:
        """Key or label in either language → key; built once per grid and field (the labels
        of both languages do not depend on the request)."""
        maps = self.__dict__.setdefault("_choice_maps", {})
        if name not in maps:
            found: dict[str, str] = {}
            for key, label in self.import_choices(name):
                found.update(dict.fromkeys(in_both_languages(label), key))
                found[_key(key)] = key
            maps[name] = found
        return maps[name]

    def _choice(self, name: str, raw: str) -> str:
        """A choice column's key from its key or its label in either language (女, F, Female)."""
        key = self._choice_map(name).get(_key(raw))
        if key is not None:
            return key
        allowed = ", ".join(str(label) for _key_, label in self.import_choices(name))
        raise RuleViolation(
            {name: [_('"%(value)s" is not one of: %(allowed)s.', value=raw, allowed=allowed)]}
        )

    def _value(self, name: str, raw: str) -> Any:
        field = getattr(self.model, name)
        raw = raw.strip()
        if raw == "":
            return None
        if self.import_choices(name):
            return self._choice(name, raw)
        if isinstance(field, ForeignKeyField):
            model, key = self.import_lookups.get(name, (field.rel_model, "id"))
            row = model.get_or_none(getattr(model, key) == raw)
            if row is None:
                what = str(self.get_column_name(name))
                raise RuleViolation({name: [_('No %(what)s "%(value)s".', what=what, value=raw)]})
            return row.id
        if isinstance(field, BooleanField):
            if _key(raw) in TRUE | FALSE:
                return _key(raw) in TRUE
            raise _invalid(name, raw)
        value = field.python_value(field.db_value(raw))
        if isinstance(field, DateField) and not isinstance(value, date):
            raise ValueError(raw)
        return value

    def _import_row(self, values: dict[str, str]) -> None:
        record = self.model()
        problems: dict[str, list[str]] = {}
        for name, raw in values.items():
            if not raw.strip():
                continue  # a blank cell leaves the field's default (level "normal"), as a form
            try:
                setattr(record, name, self._value(name, raw))
            except RuleViolation as exc:
                problems.update(exc.errors)
            except (ValueError, TypeError, ArithmeticError):
                problems[name] = _invalid(name, raw).errors[name]
        if problems:
            raise RuleViolation(problems)
        self.on_model_change(None, record, True)
        record.save()

    def run_import(
        self, rows: list[list[str]], columns: dict[int, str], dry_run: bool
    ) -> tuple[int, dict[int, list[str]]]:
        """Import the data rows (rows[0] is the header); return (rows saved, the problems of
        each failed row by its number in the file). Saves all or none."""
        failed: dict[int, list[str]] = {}
        saved = 0
        try:
            with db.atomic():
                for number, row in enumerate(rows[1:], start=2):
                    if not any(cell.strip() for cell in row):
                        continue
                    values = {name: row[i] if i < len(row) else "" for i, name in columns.items()}
                    try:
                        with db.atomic():
                            self._import_row(values)
                        saved += 1
                    except RuleViolation as exc:
                        failed[number] = [
                            ("" if name == "__all__" else f"{self.get_column_name(name)}: ") + m
                            for name, messages in exc.errors.items()
                            for m in messages
                        ]
                if failed or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return (0 if failed else saved), failed

    def failed_rows_file(self, rows: list[list[str]], failed: dict[int, list[str]]) -> bytes:
        """Every row of the file with an errors column: fix the flagged rows, upload it again
        (nothing was saved, so the file must keep the good rows too)."""
        header = rows[0]
        body = [
            [*row, *[""] * (len(header) - len(row)), "; ".join(failed.get(number, []))]
            for number, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)
        ]
        return csv_file([*header, str(ERRORS_HEADER)], body)

    # -- pages ------------------------------------------------------------------------------
    def _posted_columns(self, header: list[str]) -> dict[int, str] | None:
        """The mapping form's choices (col_<index> → field); None if two columns share a field."""
        allowed = set(self.import_columns())
        columns = {
            i: request.form[f"col_{i}"]
            for i in range(len(header))
            if request.form.get(f"col_{i}") in allowed
        }
        if not columns or len(set(columns.values())) < len(columns):
            flash(_("Map each field to one column, and at least one column."), "error")
            return None
        return columns

    def _page(self, **context: Any) -> Any:
        fields = [(n, str(self.get_column_name(n))) for n in self.import_columns()]
        return self.render("grid/import.html", fields=fields, **context)

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self) -> Any:
        if not self.can_import:
            return self.inaccessible_callback("import")
        if request.method == "GET":
            return self._page()
        dry_run = request.form.get("dry_run") == "1"
        token = request.form.get("token", "")
        if token:
            data = self.uploads.get(g.actor.id, token)
            if data is None:
                flash(_("The upload has expired. Choose the file again."), "error")
                return self._page()
        else:
            upload = request.files.get("file")
            data = upload.read(MAX_BYTES + 1) if upload and upload.filename else b""
            if not data or len(data) > MAX_BYTES:
                flash(_("Choose a CSV or Excel file (at most 20 MB)."), "error")
                return self._page()
            token = self.uploads.put(g.actor.id, data)
        try:
            rows = read_rows(data)
        except ValueError:
            flash(_("The file is neither a CSV (UTF-8 or GBK) nor an Excel workbook."), "error")
            return self._page()
        if not rows:
            flash(_("The file is empty."), "error")
            return self._page()
        if len(rows) - 1 > MAX_ROWS:
            flash(_("At most %(n)d rows per file.", n=MAX_ROWS), "error")
            return self._page()
        known, unknown = self.header_map(rows[0])
        columns = self._posted_columns(rows[0]) if "mapped" in request.form else None
        if columns is None and (unknown or not known or "mapped" in request.form):
            return self._page(mapping=(rows[0], known), token=token, dry_run=dry_run)
        columns = known if columns is None else columns
        saved, failed = self.run_import(rows, columns, dry_run)
        if failed:
            self.uploads.put(g.actor.id, self.failed_rows_file(rows, failed), "failed", token)
        errors = [
            _("Row %(row)d", row=number) + f" — {message}"
            for number, messages in failed.items()
            for message in messages
        ]
        result = {"saved": saved, "errors": errors[:200], "more": len(errors) - 200}
        return self._page(result=result, dry_run=dry_run, token=token, columns=columns)

    @expose("/import/failed/")
    def import_failed_view(self) -> Any:
        """The rows of the last import with their errors, as a CSV to fix and upload again."""
        if not self.can_import:
            return self.inaccessible_callback("import")
        data = self.uploads.get(g.actor.id, request.args.get("token", ""), "failed")
        if data is None:
            flash(_("The upload has expired. Choose the file again."), "error")
            return self._page()
        return self._csv_download(data, "errors")

    @expose("/import/template/")
    def import_template_view(self) -> Any:
        """An empty file with this grid's columns, named in the person's language."""
        if not self.can_import:
            return self.inaccessible_callback("import")
        header = [str(self.get_column_name(n)) for n in self.import_columns()]
        return self._csv_download(csv_file(header, []), "template")

    def _csv_download(self, data: bytes, kind: str) -> Response:
        name = f"{self.model_key}_{kind}.csv"
        return Response(
            data,
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )
