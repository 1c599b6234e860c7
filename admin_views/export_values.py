"""Export values as a spreadsheet uses them (issue 9, item 4).

A grid's list formatters build HTML (badges, links, one <div> per change); an export never goes
through them when they do. Each column's export value comes from a plain-value path instead:
the view's `column_formatters_export` (plain by contract), else a list formatter that returns
plain text (a masked phone, a translated key), else the stored value. Then choice keys become
their labels and workflow states their configured names, in the person's language. A formatter
that still returns HTML is a programming error (TypeError), never stripped.

The typed value is then written per format: numbers stay numbers (XLSX numeric cells; CSV
without currency signs or thousands separators), yes/no is 是/否 or Yes/No, times are local
(the configured zone) to the minute, and text is formula-safe.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from markupsafe import Markup
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MINUTE = "%Y-%m-%d %H:%M"


def safe_cell(value: Any) -> str:
    """Text for one cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def local_minute(value: datetime) -> datetime:
    """A stored (UTC) time in the configured zone, without seconds: a naive local datetime."""
    return to_user_timezone(value).replace(tzinfo=None, second=0, microsecond=0)


def plain_value(value: Any) -> Any:
    """A typed export value: None, a number, a local datetime, a date or plain text."""
    if isinstance(value, Markup):
        raise TypeError("HTML reached an export")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return local_minute(value)
    if isinstance(value, date):
        return value
    return str(value)


def csv_text(value: Any) -> str:
    """One CSV field: numbers as digits with a dot, times to the minute, text formula-safe."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime(MINUTE)
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """One XLSX cell: numeric cells for numbers, date cells for times, formula-safe text."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):  # a number, shown with its places (1234.50, not 1234.5)
        cell = WriteOnlyCell(sheet, value=value)
        places = max(0, -value.as_tuple().exponent)
        cell.number_format = "#,##0." + "0" * places if places else "#,##0"
        return cell
    if isinstance(value, (datetime, date)):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
        return cell
    return safe_cell(value)


def stored(view: Any, context: Any, model: Any, name: str) -> Any:
    """An export formatter: the stored value itself (a number shown as ¥1,234.00 in the grid)."""
    return getattr(model, name, None)


# The tuple export (admin_views/export_rows.py) reads such a column as the column itself, with
# its fast per-type text, instead of calling the formatter once per row.
stored.plain_column = True  # type: ignore[attr-defined]
