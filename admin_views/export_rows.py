"""Export rows as tuples of only the exported columns (issue 10, item 5).

The model path (ExportMixin.export_value) builds one peewee model per row from every column and
looks up labels per cell. Here the grid's own query (scope, search, filters, sort, label joins)
is re-selected down to the exported columns, read as plain tuples, and each column gets one
converter built once per export: choice labels, workflow states, yes/no, the time zone and the
decimal places are looked up once. The values are exactly the model path's (same typed plain
values, then the same CSV/XLSX writers).

A column computed by a view formatter gets a light row object whose attributes are the selected
columns. A formatter that reads anything else (a related object, a property) raises NeedsModel:
on the first row the whole export goes back to the model path (nothing has been written yet);
on a later row only that row's model is loaded, so the output never changes.

On PostgreSQL the rows come through a server-side (named) cursor inside a transaction, so memory
stays flat however many rows; SQLite's cursor already steps through the result.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from markupsafe import Markup
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)
from pytz import UTC

from admin_views.export_csv import cached_text, text_of
from admin_views.export_values import csv_text, plain_value

LABEL_CACHE = 10_000  # related labels kept per column (customers of orders: many)
PG_FETCH = 2000  # rows per round trip of the server-side cursor
NATIVE = (BooleanField, CharField, DateField, DateTimeField, DecimalField, IntegerField, TextField)


class NeedsModel(Exception):
    """A formatter read something a tuple row does not hold (deliberately not AttributeError,
    so getattr(row, name, None) cannot silently answer None)."""


class TupleRow:
    """The attributes a formatter may read, served from the current tuple."""

    __slots__ = ("values",)
    index: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        i = type(self).index.get(name)
        if i is None:
            raise NeedsModel(name)
        return self.values[i]


def plain_maker() -> Callable[[Any], Any]:
    """plain_value with yes/no and the time zone looked up once (same results)."""
    yes, no, tz = _("Yes"), _("No"), get_timezone()

    def plain(value: Any) -> Any:
        kind = type(value)
        if value is None or (kind is str and value == ""):
            return None
        if kind is str:
            return value
        if kind is bool:
            return yes if value else no
        if kind is int or kind is float or kind is Decimal:
            return value
        if kind is datetime:
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            local = tz.normalize(aware.astimezone(tz))
            return local.replace(tzinfo=None, second=0, microsecond=0)
        if kind is date:
            return value
        return plain_value(value)

    return plain


def finisher(view: Any, name: str, plain: Callable) -> Callable[[Any], Any]:
    """What export_value does after reading a value: labels, places, then the plain value."""
    choices = {k: str(v) for k, v in (view._column_choices_map.get(name) or {}).items()}
    field = getattr(view.model, name, None)
    places = Decimal(1).scaleb(-field.decimal_places) if isinstance(field, DecimalField) else None
    states: dict[str, str] | None = None
    if name == "status" and view._has_workflow():
        from admin_views import state_label

        states = {}

    def finish(value: Any) -> Any:
        if type(value) is Markup or isinstance(value, Markup):
            raise TypeError(f"{view.endpoint}.{name}: an HTML formatter needs a plain export one")
        if choices and value in choices:
            value = choices[value]
        elif states is not None and isinstance(value, str):
            if value not in states:
                states[value] = state_label(value, view.model_key)
            value = states[value]
        if places is not None and isinstance(value, Decimal):
            value = value.quantize(places)
        return plain(value)

    return finish


class TuplePlan:
    """The tuple query and one converter per exported column; None when a column needs the
    model (a name that is neither a field, a joined label nor a computed column)."""

    def __init__(self, view: Any, query: Any) -> None:
        self.view, self.query = view, query
        model, self.pk = view.model, view.model._meta.primary_key
        formatters = {**(view.column_formatters or {}), **view.column_formatters_export}
        extras = {getattr(c, "_alias", None): c for c in view.extra_columns()}
        columns: list[Any] = [self.pk]
        index: dict[str, int] = {self.pk.name: 0}
        plain, self.converters = plain_maker(), []
        self.formatted: list[str] = []
        self.texts: Any = {}  # CSV text per column (admin_views/export_csv.py)
        self.columns_named: list[str] = [self.pk.name]

        def column(key: str, node: Any) -> int:
            if key not in index:
                index[key] = len(columns)
                columns.append(node)
                self.columns_named.append(getattr(node, "name", key))
            return index[key]

        for name, _label in view._export_columns:
            field = model._meta.fields.get(name)
            finish = finisher(view, name, plain)
            if name in formatters and not getattr(formatters[name], "plain_column", False):
                self.formatted.append(name)
                self.converters.append(self._formatted(name, formatters[name], finish))
            elif isinstance(field, ForeignKeyField):
                at = column(field.column_name, field)
                shown = [
                    column(f"j_{name}.{node.name}", node)
                    for node in query._returning
                    if getattr(getattr(node, "source", None), "alias", None) == f"j_{name}"
                    and node.name != "id"
                ]
                self.converters.append(self._related(field, at, shown, finish))
                self.texts[len(self.converters) - 1] = cached_text(self.converters[-1], at)
            elif field is not None:
                at = column(name, field)
                self.converters.append(self._plain(at, finish))
                self.texts[len(self.converters) - 1] = text_of(view, name, field, at, finish)
            elif name in extras:
                self.converters.append(self._plain(column(name, extras[name]), finish))
            else:
                self.ok = False
                return
        for name, field in model._meta.fields.items():  # what formatters commonly read
            if not isinstance(field, ForeignKeyField) and name in formatters:
                column(name, field)
        for name in self.formatted:
            if name in extras:
                column(name, extras[name])
        for i, convert in enumerate(self.converters):
            self.texts.setdefault(i, lambda values, row, c=convert: csv_text(c(values, row)))
        self.texts = [self.texts[i] for i in range(len(self.converters))]
        self.row_class = type("Row", (TupleRow,), {"__slots__": (), "index": index})
        self.columns, self.ok = columns, True
        self.convert = [
            None if isinstance(c, NATIVE) or not hasattr(c, "python_value") else c.python_value
            for c in columns
        ]

    def _plain(self, at: int, finish: Callable) -> Callable:
        return lambda values, row: finish(values[at])

    def _related(self, field: Any, at: int, shown: list[int], finish: Callable) -> Callable:
        """A foreign key's label, str() of the related row: from the label columns the grid
        joins (models' label_fields), else the row read by its key; kept per key (bounded)."""
        labels: dict[Any, Any] = {}
        model = field.rel_model
        names = [self.columns_named[i] for i in shown] if shown else []

        def convert(values: tuple, row: Any) -> Any:
            key = values[at]
            if key is None:
                return finish(None)
            label = labels.get(key)
            if label is None:
                if len(labels) >= LABEL_CACHE:
                    labels.clear()
                if shown:
                    fields = {n: values[i] for n, i in zip(names, shown, strict=True)}
                    label = labels[key] = str(model(id=key, **fields))
                else:
                    label = labels[key] = str(model.get_by_id(key))
            return finish(label)

        return convert

    def _formatted(self, name: str, formatter: Callable, finish: Callable) -> Callable:
        view = self.view

        def convert(values: tuple, row: Any) -> Any:
            try:
                value = formatter(view, None, row, name)
            except NeedsModel:
                if isinstance(row, TupleRow):
                    model = self.query.where(self.pk == row.values[0]).get()
                    value = formatter(view, None, model, name)
                else:
                    raise
            return finish(value)

        return convert

    def records(self, text: bool = False) -> Iterator[list[Any]]:
        """One list of typed plain values (or their CSV text) per row; raises NeedsModel on the
        first row only."""
        row = self.row_class()
        converters, first = (self.texts if text else self.converters), True
        for values in self.rows():
            row.values = values
            if first:
                self._probe(values, row)
                first = False
            yield [convert(values, row) for convert in converters]

    def _probe(self, values: tuple, row: Any) -> None:
        """Each formatter once on the first tuple: one that needs the model says so now."""
        formatters = {**(self.view.column_formatters or {}), **self.view.column_formatters_export}
        for name in self.formatted:
            formatters[name](self.view, None, row, name)

    def rows(self) -> Iterator[tuple]:
        query = self.query.select(*self.columns)
        database = query.model._meta.database
        if database.param == "?":  # SQLite: its cursor steps through the result
            convert = [(i, f) for i, f in enumerate(map(sqlite_value, self.columns)) if f]
            yield from converted(database.execute(query), convert)
            return
        sql, params = query.sql()
        convert = [(i, f) for i, f in enumerate(self.convert) if f is not None]
        # A named cursor lives inside a transaction: peewee sends BEGIN itself on a connection
        # psycopg2 sees in autocommit, hence withhold (closed before the commit, so the server
        # never materialises the result).
        name = f"export_{uuid.uuid4().hex}"
        with database.atomic():
            with database.connection().cursor(name=name, withhold=True) as cursor:
                cursor.itersize = PG_FETCH
                cursor.execute(sql, params)
                yield from converted(cursor, convert)


def converted(cursor: Any, convert: list) -> Iterator[tuple]:
    """The cursor's rows with the columns the driver cannot type converted (peewee's own)."""
    if not convert:
        yield from cursor
        return
    for values in cursor:
        values = list(values)
        for i, f in convert:
            values[i] = f(values[i])
        yield values


def sqlite_value(node: Any) -> Callable | None:
    """What SQLite's text needs to become peewee's value: nothing for text and integers, a fast
    parse for stored times, else the field's own conversion."""
    if isinstance(node, (CharField, TextField, IntegerField)) and not isinstance(
        node, BooleanField
    ):
        return None
    if isinstance(node, ForeignKeyField) and isinstance(node.rel_field, IntegerField):
        return None
    if isinstance(node, DateTimeField):

        def moment(value: Any, slow: Callable = node.python_value) -> Any:
            if type(value) is str:
                try:
                    return datetime.fromisoformat(value)
                except ValueError:
                    return slow(value)
            return slow(value)

        return moment
    return getattr(node, "python_value", None)
