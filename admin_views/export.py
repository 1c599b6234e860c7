"""Grid export: CSV streamed from a cursor (UTF-8 BOM, formula-safe), XLSX through tablib.

Both go through the view's get_list(), so an export holds exactly the rows the person may see,
with the current search, filters and sort applied. Every export is logged (ExportLog): who,
which grid, which search and filters, which format, how many rows.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import tablib
from flask import Response, g, stream_with_context
from flask_admin.model import typefmt
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.utils import secure_filename

from models.export_log import ExportLog

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
XLSX_MAX_ROWS = 1_048_575
BLOCK_END = re.compile(r"<br\s*/?>|</(?:div|p|li|tr)>", re.I)
TAG = re.compile(r"<[^>]+>")


def plain_text(value: Any) -> Any:
    """A grid cell's HTML (badges, icons, one <div> per change) as the text a person reads."""
    if not isinstance(value, Markup):
        return value
    text = html.unescape(TAG.sub("", BLOCK_END.sub("\n", str(value))))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _local_time(view: Any, value: datetime, name: str = "") -> str:
    from admin_views import localtime

    return localtime(value)


# Exports read as the grid does: local times, yes/no in the person's language.
EXPORT_TYPE_FORMATTERS = {
    **typefmt.EXPORT_FORMATTERS,
    bool: lambda view, value, name="": _("Yes") if value else _("No"),
    datetime: _local_time,
}


def safe_cell(value: Any) -> str:
    """Text for one cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class _Line:
    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def __call__(self, values: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(values)
        return self.buffer.getvalue()


def record_export(grid: str, model: str, fmt: str, rows: int, search: str = "", filters=()) -> None:
    """Log one export by the acting person (every export path calls this once)."""
    ExportLog.record(
        g.actor,
        grid=grid,
        model=model,
        format=fmt,
        rows=rows,
        search=search or "",
        filters="; ".join(filters),
    )


class ExportMixin:
    """Replaces Flask-Admin's in-memory, unescaped export."""

    column_type_formatters_export = EXPORT_TYPE_FORMATTERS

    def get_export_value(self, model: Any, name: Any) -> Any:
        """The grid's value as plain text: no HTML reaches a spreadsheet."""
        return plain_text(super().get_export_value(model, name))  # type: ignore[misc]

    def export_filters(self) -> list[str]:
        """The active filters as a person reads them: "Level equals vip"."""
        described = []
        for index, _name, value in self._get_list_extra_args().filters or ():
            flt = self._filters[index]
            shown = dict(flt.get_options(self) or ()).get(value, value)  # "已收款", not "paid"
            described.append(f"{flt.name} {flt.operation()} {shown}".strip())
        return described

    def log_export(self, fmt: str, rows: int) -> None:
        record_export(
            self.endpoint,
            self.model_key,
            fmt,
            rows,
            self._get_list_extra_args().search,
            self.export_filters(),
        )

    def export_rows(self) -> Iterator[list[str]]:
        """The header, then one safe row per visible record, read from a cursor."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _count, query = self.get_list(
            0,
            sort[0] if sort else None,
            args.sort_desc,
            args.search,
            args.filters,
            execute=False,
            page_size=0,
        )
        columns = self._export_columns
        yield [safe_cell(label) for _name, label in columns]
        for row in query.iterator():
            yield [safe_cell(self.get_export_value(row, name)) for name, _label in columns]

    def export_filename(self, ext: str) -> str:
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        return secure_filename(f"{self.model_key}_{stamp}.{ext}")

    def _export_csv(self, return_url: Any) -> Response:
        line = _Line()

        def generate() -> Iterator[str]:
            sent = -1  # the header is not a row
            try:
                yield "\ufeff"
                for values in self.export_rows():
                    yield line(values)
                    sent += 1
            finally:  # also when the download is cut off: the rows that left are logged
                self.log_export("csv", max(sent, 0))

        return Response(
            stream_with_context(generate()),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={self.export_filename('csv')}"},
        )

    def _export_tablib(self, export_type: str, return_url: Any) -> Response:
        rows = self.export_rows()
        dataset = tablib.Dataset(headers=next(rows))
        for i, values in enumerate(rows):
            if i >= XLSX_MAX_ROWS:
                break
            dataset.append(values)
        data = dataset.export(export_type, escape=True)
        self.log_export(export_type, dataset.height)
        return Response(
            data,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f"attachment; filename={self.export_filename(export_type)}"
            },
        )
