"""Grid pages select only what they show (issue 7 item 16): no password hash, and each joined
table brings only the columns of its label (`label_fields`), on every grid, for every role."""

from __future__ import annotations

import re

from admin_views.base import GuardedModelView
from tests.conftest import count_queries

ROLES = ("owner", "sales1", "store1", "supervisor", "finance", "warehouse", "marketing")


def test_no_page_query_selects_a_password_hash_or_unshown_joined_columns(app, world, as_user):
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, GuardedModelView)]
    pages = 0
    for username in ROLES:
        client = as_user(username)
        for view in views:
            with count_queries() as log:
                response = client.get(f"{view.url}/")
            if response.status_code != 200:
                continue  # not this role's grid
            pages += 1
            joins = {name: getattr(view.model, name).rel_model for name in view.column_joins}
            table = view.model._meta.table_name
            page = [sql for sql in log.sql if sql.startswith("SELECT") and "ORDER BY" in sql]
            page = [sql for sql in page if f' FROM "{table}" AS "t1"' in sql]  # the grid's own
            assert page, f"{view.endpoint} as {username}: no page query seen"
            for sql in page:
                assert "password_hash" not in sql, f"{view.endpoint} as {username}: {sql}"
                for alias, column in re.findall(r'"j_(\w+)"\."(\w+)"', sql.split(" FROM ")[0]):
                    shown = {"id", *joins[alias].label_fields}
                    assert column in shown, f"{view.endpoint} joins {alias}.{column}: {sql}"
    assert pages >= 30
