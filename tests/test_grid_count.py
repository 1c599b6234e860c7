"""The grid's row count (issue 10 Done when: "on PostgreSQL, a count shown as an estimate
('about 800,000') on very large tables is allowed"): above `[app] estimate_count_above` rows
PostgreSQL shows the planner's estimate instead of counting; SQLite and smaller results count."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from admin_views.grid_count import Estimate, rounded
from models import db
from tests.conftest import PG_URL


@pytest.fixture
def overrides(overrides):
    return {**overrides, "app": {"estimate_count_above": 3}}  # the demo world is "very large"


def tab(client, url: str = "/admin/customer/") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'class="nav-link active">([^<]*)</a>', page).group(1)


def test_an_estimate_reads_about_n_in_each_language(app):
    assert rounded(799_873) == 800_000 and rounded(163_412) == 160_000 and rounded(7) == 7
    with app.test_request_context():
        with force_locale("en"):
            assert str(Estimate(800_000)) == "about 800,000"
        with force_locale("zh_CN"):
            assert str(Estimate(800_000)) == "约 800,000"
        assert Estimate(800_000) // 50 == 16_000  # the pager computes with it as a number


def test_large_results_show_an_estimate_on_postgresql_only(as_user, world):
    with db.connection_context():
        db.execute_sql("ANALYZE customer")  # the statistics PostgreSQL keeps up to date
    owner, sales = as_user("owner"), as_user("sales1")
    if PG_URL:  # 4 owned customers, expected 4 by the planner: above 3, so estimated
        assert tab(owner) == "列表 (约 4)"
    else:  # SQLite always counts
        assert tab(owner) == "列表 (4)"
    assert tab(sales) == "列表 (1)"  # the salesperson's one customer: counted
    assert tab(owner, "/admin/customer/?search=王秀英") == "列表 (1)"  # a narrow search too
