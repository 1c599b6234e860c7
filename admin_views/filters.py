"""Filters every grid shares (issue 9 item 2): a column with choices is filtered by its labels
in the person's language (门店自提, not `pickup`); the owner, salesperson, store and state
filters are added wherever a grid's table has the column and an index that starts with it."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike, FilterNotEqual
from flask_admin.model.filters import BaseIntFilter
from flask_babel import LazyString
from peewee import ForeignKeyField

from admin_views import state_label
from models.staff import Location, Staff
from rules.workflow import flow

# Columns each grid filters by when its table has them (and an index starts with them).
AUTO_FILTERS = (
    "owner",
    "salesperson",
    "credit_owner",
    "credit_salesperson",
    "store",
    "status",
    "created_at",
)


def translated(choices: Any) -> list[tuple[str, Any]]:
    """Options as (key, lazy label): each page shows them in its person's language (never
    str() here: that would run at start-up and fix one language for good)."""
    return [(key, label) for key, label in choices]


class ChoiceLabelContains(FilterLike):
    """ "contains" typed text, matched against the labels people read (门店自提) and the keys."""

    def __init__(self, column: Any, name: str, choices: Any) -> None:
        super().__init__(column, name)
        self.choices = choices

    def apply(self, query: Any, value: Any) -> Any:
        text = str(value).strip().casefold()
        keys = [
            key
            for key, label in self.choices
            if text and (text in str(label).casefold() or text == str(key).casefold())
        ]
        return query.filter(self.column.in_(keys))


class PerRequest:
    """Options read from the database when a page shows them (not once at start-up)."""

    def get_options(self, view: Any) -> Any:
        return self.options() if has_request_context() else None


class RefEqual(PerRequest, FilterEqual, BaseIntFilter):
    """A person or a place, picked by name; the row's foreign key compared by id."""


class RefNotEqual(PerRequest, FilterNotEqual, BaseIntFilter):
    pass


def _linked(column: Any, match: Any) -> Any:
    """Rows whose link points at a row of its table with a label field matching `match`
    (a custom link field: customers by name or mobile, products by code or name)."""
    rel = column.rel_model
    fields = [getattr(rel, f) for f in rel.label_fields]
    where = match(fields[0])
    for f in fields[1:]:
        where |= match(f)
    return column.in_(rel.select(rel._meta.primary_key).where(where))


class LinkLabelEqual(FilterEqual):
    """A link to a big table, by the linked row's label as typed (never a list of the table)."""

    def apply(self, query: Any, value: Any) -> Any:
        text = str(value).strip()
        return query.where(_linked(self.column, lambda f: f == text))


class LinkLabelContains(FilterLike):
    def apply(self, query: Any, value: Any) -> Any:
        text = str(value).strip()
        return query.where(_linked(self.column, lambda f: f.contains(text)))


def _labels(model: type, order: Any) -> list[tuple[str, str]]:
    """(id, label) of every row of a small table, read once per request."""
    cache = g.setdefault("filter_labels", {})
    if model not in cache:
        shown = [getattr(model, f) for f in model.label_fields]
        cache[model] = [(str(r.id), str(r)) for r in model.select(model.id, *shown).order_by(order)]
    return cache[model]


def people() -> list[tuple[str, str]]:
    return _labels(Staff, Staff.display_name)


def places() -> list[tuple[str, str]]:
    return _labels(Location, Location.code)


def indexed_first(model: type) -> set[str]:
    """Columns some index of `model` starts with (a filter on them searches an index)."""
    first = {f.column_name for f in model._meta.sorted_fields if f.index or f.unique}
    for fields, _unique in model._meta.indexes:
        head = getattr(model, fields[0], None) if isinstance(fields, tuple) else None
        if head is not None:
            first.add(head.column_name)
    return first


class FiltersMixin:
    """Choice filters by label, and the shared owner / salesperson / store / state filters."""

    # Shared filters a grid leaves out (the pool's owner is always empty).
    column_filters_excluded: tuple[str, ...] = ()

    def state_choices(self) -> Any:
        """A workflow table's states with their labels (the person's language)."""
        key = self.model.model_key()
        return [(s.name, LazyString(state_label, s.name, key)) for s in flow(key).states]

    def _auto_filters(self) -> list[str]:
        declared = {getattr(f, "column", f) for f in self.column_filters or ()}
        declared = {getattr(d, "name", d) for d in declared}
        indexed = indexed_first(self.model)
        return [
            name
            for name in AUTO_FILTERS
            if name not in declared
            and name not in self.column_filters_excluded
            and (field := self.model._meta.fields.get(name)) is not None
            and field.column_name in indexed
            and (name != "status" or getattr(self.model, "has_workflow", False))
        ]

    def _get_filter_groups(self) -> Any:
        """The filter menu, with the people and places of today (PerRequest options)."""
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, PerRequest):
                    item["options"] = flt.get_options(self)
        return groups

    def get_filters(self) -> Any:
        extra = self._auto_filters()
        if not extra:
            return super().get_filters()
        declared, self.column_filters = self.column_filters, (*(self.column_filters or ()), *extra)
        try:
            return super().get_filters()
        finally:
            self.column_filters = declared

    def scaffold_filters(self, name: Any) -> Any:
        field = self.model._meta.fields.get(name) if isinstance(name, str) else None
        if field is None:
            return super().scaffold_filters(name)
        label = self.get_column_name(name)
        choices = (self.column_choices or {}).get(name)
        if name == "status" and choices is None and getattr(self.model, "has_workflow", False):
            options = self.state_choices()
            return [FilterEqual(field, label, options), FilterNotEqual(field, label, options)]
        if choices is not None:
            options = translated(choices)
            return [
                FilterEqual(field, label, options),
                FilterNotEqual(field, label, options),
                ChoiceLabelContains(field, label, choices),
            ]
        if isinstance(field, ForeignKeyField) and field.rel_model in (Staff, Location):
            options = people if field.rel_model is Staff else places
            return [RefEqual(field, label, options), RefNotEqual(field, label, options)]
        if isinstance(field, ForeignKeyField) and getattr(field.rel_model, "label_fields", ()):
            return [LinkLabelEqual(field, label), LinkLabelContains(field, label)]
        return super().scaffold_filters(name)
