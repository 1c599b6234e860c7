"""The number of rows a grid shows in its tab ("List (7,990)") and pages by.

SQLite counts exactly (its count of an index is fast). On PostgreSQL a COUNT(*) reads every
matching row, which at a million customers costs more than the page itself (issue 10: "a count
shown as an estimate on very large tables is allowed"). So when the table holds more than
`[app] estimate_count_above` rows (pg_class.reltuples, kept by ANALYZE and autovacuum; read once a
minute per grid) and the planner expects the grid's own query (scope, search, filters) to match
more than that too, the grid shows the planner's estimate, "about 800,000" ("约 800,000"), instead
of counting. Anything smaller is counted exactly, as is every count that decides something (bulk
edit, approve all matching: they count their own rows).
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import escape
from peewee import SQL, PostgresqlDatabase

from models import db
from rules import settings

TABLE_ROWS_TTL = 60  # seconds a grid trusts its table's reltuples


class Estimate(int):
    """A row count the planner estimated: an int for the pager, "about N" on the page."""

    def __str__(self) -> str:
        return _("about %(number)s", number=format_decimal(int(self)))

    def __html__(self) -> str:
        return str(escape(str(self)))


def rounded(rows: float) -> int:
    """Two significant digits: 799,873 -> 800,000 (an estimate should not look exact)."""
    rows = int(rows)
    step = 10 ** max(len(str(rows)) - 2, 0)
    return int(round(rows / step) * step)


class CountMixin:
    """Mixed into ScopedQueryMixin: `row_count(count_query)` for the list page."""

    def _table_rows(self) -> float:
        """The table's rows as PostgreSQL last measured them (-1 or 0 before any ANALYZE)."""
        now, cached = time.monotonic(), self.__dict__.get("_table_rows_cache")
        if cached and cached[0] > now:
            return cached[1]
        table = f'"{self.model._meta.table_name}"'
        found = db.execute_sql(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table,)
        ).fetchone()
        rows = float(found[0]) if found and found[0] is not None else 0.0
        self._table_rows_cache = (now + TABLE_ROWS_TTL, rows)
        return rows

    def row_count(self, count_query: Any) -> int:
        above = settings().app.estimate_count_above
        if not above or not isinstance(db.obj, PostgresqlDatabase) or self._table_rows() <= above:
            return count_query.scalar()
        sql, params = count_query.select(SQL("1")).sql()
        plan = db.execute_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        expected = plan[0]["Plan"]["Plan Rows"]
        return Estimate(rounded(expected)) if expected > above else count_query.scalar()
