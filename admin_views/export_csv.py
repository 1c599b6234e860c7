"""CSV text per exported column, in one step from the tuple (issue 10, item 5).

The same text as csv_text(typed plain value), with the column's type known once: a text column
is checked for a formula start, a yes/no column picks one of two words, a time column is shifted
to local time and cut to the minute, a choice column maps its key to its label's text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import get_timezone
from peewee import AutoField, BooleanField, CharField, DateTimeField, IntegerField, TextField

from admin_views.export_values import FORMULA_START, csv_text, safe_cell

LABELS = 10_000
Convert = Callable[[tuple, Any], Any]


def text_of(view: Any, name: str, field: Any, at: int, finish: Callable) -> Convert:
    """A column's CSV text from the tuple; the general path (csv_text ∘ finish) when its type
    gives no shortcut."""
    choices = view._column_choices_map.get(name)
    if choices:
        labels = {key: csv_text(finish(key)) for key in dict(choices)}

        def choice(values: tuple, row: Any) -> str:
            value = values[at]
            text = labels.get(value) if type(value) is str else None
            return csv_text(finish(value)) if text is None else text

        return choice
    if name == "status" or type(field) not in (
        AutoField, BooleanField, CharField, DateTimeField, IntegerField, TextField
    ):  # fmt: skip
        return lambda values, row: csv_text(finish(values[at]))
    if isinstance(field, (CharField, TextField)):

        def text(values: tuple, row: Any) -> str:
            value = values[at]
            if not value:
                return ""
            if type(value) is not str or value.startswith(FORMULA_START):
                return safe_cell(finish(value))
            return value

        return text
    if isinstance(field, BooleanField):
        words = {True: csv_text(finish(True)), False: csv_text(finish(False)), None: ""}
        return lambda values, row: words[values[at]]
    if isinstance(field, DateTimeField):
        tz = get_timezone()
        transitions = getattr(tz, "_utc_transition_times", None) or [datetime.min]
        offsets: dict[int, Any] = {}  # the zone's offset per period between its transitions

        def minute(values: tuple, row: Any) -> str:
            value = values[at]
            if value is None:
                return ""
            if type(value) is not datetime or value.tzinfo is not None:
                return csv_text(finish(value))
            period = bisect_right(transitions, value)
            offset = offsets.get(period)
            if offset is None:
                start = value.replace(second=0, microsecond=0)
                offset = offsets[period] = finish(start) - start
            return str(value + offset)[:16]

        return minute
    return lambda values, row: "" if values[at] is None else str(values[at])


def cached_text(convert: Convert, at: int) -> Convert:
    """A related label's CSV text, kept per key (at most LABELS keys)."""
    texts: dict[Any, str] = {}

    def text(values: tuple, row: Any) -> str:
        key = values[at]
        found = texts.get(key)
        if found is None:
            if len(texts) >= LABELS:
                texts.clear()
            found = texts[key] = csv_text(convert(values, row))
        return found

    return text
