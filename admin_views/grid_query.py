"""The one scoped query of every grid: list, count, details, edit, delete, actions, inline edit
and export all read rows through it (DESIGN.md, "Admin views").

A page is picked on the bare table first, then joined for display; joined tables bring only the
columns their label shows; the count runs on the bare table.
"""

from __future__ import annotations

from typing import Any

from flask import g
from peewee import JOIN, SQL, Field, fn

from admin_views.grid_count import CountMixin
from rules.scope import visible


class ScopedQueryMixin(CountMixin):
    """Row scope, ids-first paging and label-only joins for a peewee ModelView."""

    # -- the one scoped query ----------------------------------------------------------------
    def scoped(self, query: Any) -> Any:
        """Narrow any query on this model to the rows the current actor may see."""
        return visible(query, self.model, g.actor)

    def list_where(self) -> Any:
        """An extra condition for this grid (e.g. the pool grid shows only pool rows)."""
        return None

    def extra_columns(self) -> list[Any]:
        """Computed SQL columns to select (aliased), e.g. days left before reclaim."""
        return []

    def _narrow(self, query: Any) -> Any:
        """The grid's own filter and the actor's scope, built for this grid: scope branches
        that cannot match within the grid's filter are left out (rules.scope)."""
        return visible(query, self.model, g.actor, base=self.list_where())

    def _joined(self, query: Any) -> Any:
        """`query` with the displayed foreign keys joined, each bringing only the columns its
        label shows (`label_fields`: never a password hash, never a whole staff row)."""
        for name in self.column_joins:
            fk = getattr(self.model, name)
            alias = fk.rel_model.alias(f"j_{name}")
            shown = getattr(fk.rel_model, "label_fields", None)
            assert shown, f"{fk.rel_model.__name__} needs label_fields to be joined"
            query = query.select_extend(alias.id, *(getattr(alias, f) for f in shown))
            query = query.join_from(
                self.model, alias, JOIN.LEFT_OUTER, on=(fk == alias.id), attr=name
            )
        return query

    def _rows(self) -> Any:
        """The grid's own columns, secrets (`Meta.audit_redact`: a password hash) left out,
        and its computed columns."""
        secret = getattr(self.model._meta, "audit_redact", set())
        own = [f for f in self.model._meta.sorted_fields if f.name not in secret]
        return self.model.select(*own, *self.extra_columns())

    def get_query(self) -> Any:
        """Scoped rows with the displayed foreign keys joined (no N+1 on the list page)."""
        return self._narrow(self._joined(self._rows()))

    def get_count_query(self) -> Any:
        """Count on the bare table: a joined count defeats SQLite's fast count."""
        return self._narrow(self.model.select(fn.COUNT(SQL("*"))))

    def get_one(self, id: Any) -> Any:
        """Fetch one row through the scoped query; None when it is outside the actor's scope.

        The bare row (its relations load in full when used): edit, delete and the rules must
        never see a related row that holds only its label columns."""
        try:
            pk = self.model._meta.primary_key.adapt(id)
        except (TypeError, ValueError):
            return None
        return self._narrow(self.model.select()).where(self.model._meta.primary_key == pk).first()

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Search, filter, count and page the scoped query.

        A page is picked on the bare table first (scope, filters, sort, LIMIT/OFFSET: an index
        walk without a row lookup per skipped row), then only its rows are joined for display.
        Without a page size (export, approve all matching) the joined query is filtered alike.
        """
        pk = self.model._meta.primary_key
        ids, count_query = self.filtered_keys(search, filters)
        count = None if self.simple_list_pager or not execute else self.row_count(count_query)
        order = (
            [(self._sortable_columns[sort_column], sort_desc)]
            if sort_column in (self._sortable_columns or {})  # ?sort=<a column not sortable>
            else (self._get_default_order())
        )
        page_size = self.page_size if page_size is None else page_size
        query = self._joined(self._rows())
        if page_size:
            ids, _joins = self._order_by(ids, set(), order or [])
            ids = ids.limit(page_size).offset(page * page_size if page else None)
            query = query.where(pk.in_(ids))
        else:
            query = query.where(ids._where) if ids._where is not None else query
        if order:
            query, _joins = self._order_by(query, set(), order)
        return count, (list(query) if execute else query)

    def filtered_keys(self, search: str | None, filters: Any) -> tuple[Any, Any]:
        """The keys of the scoped rows matching the search and filters (unsorted), and their
        count query on the bare table."""
        ids = self._narrow(self.model.select(self.model._meta.primary_key))
        ids, count_query = self.apply_search(ids, self.get_count_query(), search)
        for flt, _name, value in filters or ():
            f = self._filters[flt]
            ids = f.apply(ids, f.clean(value))
            count_query = f.apply(count_query, f.clean(value))
        return ids, count_query

    def _sort_clause(self, query: Any, joins: set, sort_field: Any, sort_desc: bool) -> Any:
        """Also sort by SQL expressions (computed columns such as days left)."""
        if isinstance(sort_field, str) or isinstance(sort_field, Field):
            return super()._sort_clause(query, joins, sort_field, sort_desc)
        return query, joins, (sort_field.desc() if sort_desc else sort_field.asc())
