"""Grid search that uses indexes: digits search prefix columns by range, text searches contain."""

from __future__ import annotations

import unicodedata
from functools import reduce
from operator import or_
from typing import Any

from rules.custom_fields import active
from rules.search import prefix_range

__all__ = ["SearchMixin", "prefix_range"]


def custom_text_clauses(model: Any, term: str) -> list[Any]:
    """The owner's text fields (issue 10 item 4), whatever a grid's own search clause is."""
    return [
        getattr(model, d.name).contains(term)
        for d in active(model.model_key())
        if d.kind == "text" and d.name in model._meta.fields
    ]


class SearchMixin:
    """Search terms are ANDed; each term ORs over the searchable columns.

    `column_search_prefix` names indexed columns (a phone, a code) searched by prefix when the
    term looks like one (digits, or letters and digits without spaces); those terms never fall
    back to a full-table `LIKE '%term%'`.
    """

    column_search_prefix: tuple[str, ...] = ()

    def normalise_term(self, term: str) -> str:
        """How a typed term is stored (phone grids drop dashes and +86)."""
        return term

    def _term_clause(self, term: str) -> Any:
        prefix_fields = [getattr(self.model, n) for n in self.column_search_prefix]
        code = unicodedata.normalize("NFKC", term)  # ＨＰ－００１ is HP-001, as stored (A1)
        looks_like_code = code.replace("-", "").isalnum() and any(c.isdigit() for c in code)
        if prefix_fields and (looks_like_code or not self._search_fields):
            key = self.normalise_term(code)
            return reduce(or_, [prefix_range(f, key) for f in prefix_fields])
        return reduce(or_, [f.contains(term) for f in self._search_fields])

    def apply_search(self, query: Any, count_query: Any, search: str | None) -> tuple[Any, Any]:
        if not search or not (self._search_fields or self.column_search_prefix):
            return query, count_query
        for term in search.split():
            clause = reduce(or_, custom_text_clauses(self.model, term), self._term_clause(term))
            query, count_query = query.where(clause), count_query.where(clause)
        return query, count_query

    def init_search(self) -> bool:
        super().init_search()
        return bool(self._search_fields or self.column_search_prefix)
