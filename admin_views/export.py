"""Grid export: CSV streamed from a cursor (UTF-8 BOM), XLSX written row by row (openpyxl's
write-only workbook), both formula-safe and typed (admin_views/export_values.py).

Both go through the view's get_list(), so an export holds exactly the rows the person may see,
with the current search, filters and sort applied. Every export is logged (ExportLog): who,
which grid, which search and filters, which format, how many rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
from flask import Response, g, stream_with_context
from markupsafe import Markup
from peewee import DecimalField
from werkzeug.utils import secure_filename

from admin_views.export_rows import NeedsModel, TuplePlan
from admin_views.export_values import csv_text, plain_value, safe_cell, xlsx_cell
from models.export_log import ExportLog

__all__ = ["ExportMixin", "record_export", "safe_cell"]

CSV_BATCH = 500  # rows per streamed chunk
XLSX_MAX_ROWS = 1_048_575
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Line:
    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def __call__(self, values: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(values)
        return self.buffer.getvalue()

    def many(self, rows: list[list[str]]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerows(rows)
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
    """Replaces Flask-Admin's in-memory, unescaped export.

    `column_formatters_export` maps a column to a plain formatter (view, context, model, name)
    for columns whose list formatter builds HTML or text meant for reading (¥1,234.00)."""

    column_formatters_export: dict[str, Any] = {}
    export_tuples = True  # read tuples of the exported columns (admin_views/export_rows.py)

    def export_value(self, model: Any, name: str) -> Any:
        """One cell's typed plain value (never HTML; see admin_views/export_values.py)."""
        formatter = self.column_formatters_export.get(name) or (self.column_formatters or {}).get(
            name
        )
        if formatter is not None:
            value = formatter(self, None, model, name)
        else:
            value = self._get_field_value(model, name)
        if isinstance(value, Markup):
            raise TypeError(f"{self.endpoint}.{name}: an HTML formatter needs a plain export one")
        choices = self._column_choices_map.get(name)
        if choices and value in choices:
            value = str(choices[value])
        elif name == "status" and isinstance(value, str) and self._has_workflow():
            from admin_views import state_label

            value = state_label(value, self.model_key)
        field = getattr(self.model, name, None)
        if isinstance(value, Decimal) and isinstance(field, DecimalField):
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))  # 99000 → 99000.00
        return plain_value(value)

    def _has_workflow(self) -> bool:
        from rules.workflow import workflow

        return workflow(self.model_key) is not None

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

    def export_header(self) -> list[str]:
        return [safe_cell(label) for _name, label in self._export_columns]

    def export_records(self, text: bool = False) -> Iterator[list[Any]]:
        """One row of typed plain values (or their CSV text) per visible record, read from a
        cursor: tuples of the exported columns (admin_views/export_rows.py) unless a formatter
        needs the model."""
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
        plan = TuplePlan(self, query) if self.export_tuples else None
        if plan is not None and plan.ok:
            records = plan.records(text)
            try:
                first = next(records, None)
            except NeedsModel:  # a formatter needs the model: nothing written yet
                first, records = None, None
            if records is not None:
                if first is not None:
                    yield first
                yield from records
                return
        names = [name for name, _label in self._export_columns]
        for row in query.iterator():
            values = [self.export_value(row, name) for name in names]
            yield [csv_text(v) for v in values] if text else values

    def export_filename(self, ext: str) -> str:
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        return secure_filename(f"{self.model_key}_{stamp}.{ext}")

    def csv_chunks(self, batch: int = CSV_BATCH) -> Iterator[tuple[str, int]]:
        """The CSV file in pieces, each with its row count: the BOM and header, the first row
        alone (the first byte leaves at once), then `batch` rows at a time. The one CSV path
        of the streamed export and of the export job (admin_views/export_job_run.py)."""
        line = _Line()
        yield "\ufeff" + line(self.export_header()), 0
        rows: list[list[str]] = []
        sent = 0
        for texts in self.export_records(text=True):
            rows.append(texts)
            if len(rows) == batch or not sent:
                yield line.many(rows), len(rows)
                sent += len(rows)
                rows = []
        if rows:
            yield line.many(rows), len(rows)

    def write_xlsx(
        self, target: Any, batch: int = CSV_BATCH, progress: Callable[[int], None] | None = None
    ) -> int:
        """The XLSX file into `target` (a binary file): rows go to openpyxl's write-only sheet,
        which spools them to a temporary file rather than holding the workbook in memory;
        `progress(rows)` after each `batch`. The one XLSX path of the streamed export and of
        the export job. Returns the rows written."""
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(self.export_header())
        rows = 0
        for values in self.export_records():
            if rows >= XLSX_MAX_ROWS:
                break
            sheet.append([xlsx_cell(sheet, v) for v in values])
            rows += 1
            if progress is not None and rows % batch == 0:
                progress(rows)
        book.save(target)
        return rows

    def _export_csv(self, return_url: Any) -> Response:
        def generate() -> Iterator[str]:
            sent = 0
            try:
                for text, rows in self.csv_chunks():
                    yield text
                    sent += rows
            finally:  # also when the download is cut off: the rows that left are logged
                self.log_export("csv", sent)

        return Response(
            stream_with_context(generate()),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={self.export_filename('csv')}"},
        )

    def _export_tablib(self, export_type: str, return_url: Any) -> Response:
        """XLSX (the only other type offered), spooled to a temporary file then sent."""
        with tempfile.TemporaryFile() as spool:
            rows = self.write_xlsx(spool)
            spool.seek(0)
            data = spool.read()
        self.log_export(export_type, rows)
        return Response(
            data,
            mimetype=XLSX_MIMETYPE,
            headers={
                "Content-Disposition": f"attachment; filename={self.export_filename(export_type)}"
            },
        )
