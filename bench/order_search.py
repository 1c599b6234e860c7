"""A supervisor's order search by the last 4 digits of an order number (issue 9 item 2), next to
its raw-SQL floor. Used by bench/sales.py (`--only search` runs only this part).

The supervisor types `0008` into `/admin/sales_order/`: the app answers it from the index on the
number's last 4 characters (rules/search.py, migration 14). The floor is the same page by hand:
the matching ids picked on the bare table newest first (LIMIT the page size), then joined to the
labels the grid shows (customer name and phone, owner and "entered by"), plus the bare COUNT(*).
"""

from __future__ import annotations

from typing import Any

from bench import grid
from models import Customer, Staff, db
from rules import settings
from rules.search import ORDER_TAIL_INDEX_SQL

TERM = "0008"  # what supervisors type: the daily sequence of SO-YYYYMMDD-0008


def floor_sql() -> tuple[list[str], list]:
    """The page and its count by hand: the app's WHERE, joins and label columns, ids first."""
    mark, size = db.obj.param, settings().app.page_size
    tail = ORDER_TAIL_INDEX_SQL.replace("number", "o.number")
    where = f"{tail} = {mark}"
    labels = ", ".join(
        f"{alias}.{column}"
        for alias, model in (("cu", Customer), ("co", Staff), ("cb", Staff))
        for column in ("id", *model.label_fields)
    )
    ids = f'SELECT o.id FROM "sales_order" o WHERE {where} ORDER BY o.created_at DESC LIMIT {size}'
    page = (
        f'SELECT o.*, {labels} FROM "sales_order" o'
        ' LEFT JOIN "customer" cu ON o.customer_id = cu.id'
        ' LEFT JOIN "staff" co ON o.credit_owner_id = co.id'
        ' LEFT JOIN "staff" cb ON o.created_by_id = cb.id'
        f" WHERE o.id IN ({ids}) ORDER BY o.created_at DESC"
    )
    return [page, f'SELECT COUNT(*) FROM "sales_order" o WHERE {where}'], [TERM]


def measure(size: int, args: Any) -> dict:
    """On a fresh copy of `size` orders: the supervisor's search page, then its floor."""
    from bench.sales import seeded_copy

    with seeded_copy(size, args) as (app, seeded):
        client = grid.Client(app.test_client())
        assert client.login("supervisor").status_code == 302, "login supervisor"
        found = grid.measure_app(client, f"/admin/sales_order/?search={TERM}", args.repeat)
        statements, params = floor_sql()
        found["raw_s"], found["raw_rows"] = grid.measure_raw(
            [(sql, params) for sql in statements], args.repeat
        )
        grid.same_rows(f"order_part_search @ {grid.label(size)}", found)
        if args.explain:
            grid.explain(f"order_part_search @ {grid.label(size)}", found["log"])
    return {**found, "seeded": seeded, "size": size}


def report(results: list[dict], figures: dict) -> None:
    """The table, each size's figures, and the largest size over the smallest."""
    print(f"\n== order search: a supervisor types {TERM} (median of runs) ==")
    print(f"{'orders':>8}{'seed s':>8}{'app ms':>10}{'sql ms':>10}{'queries':>8}", end="")
    print(f"{'raw ms':>9}{'app/raw':>9}{'rows':>6}")
    for r in results:
        tag, ratio = grid.label(r["size"]), r["s"] / r["raw_s"]
        print(
            f"{r['size']:>8}{r['seeded']:>8.1f}{r['s'] * 1e3:>10.1f}{r['sql_s'] * 1e3:>10.1f}",
            end="",
        )
        print(f"{r['queries']:>8}{r['raw_s'] * 1e3:>9.1f}{ratio:>9.1f}{r['rows']:>6}")
        figures[f"order_part_search_{tag}_s"] = r["s"]
        figures[f"order_part_search_{tag}_queries"] = r["queries"]
        figures[f"raw_order_part_search_{tag}_s"] = r["raw_s"]
        figures[f"order_part_search_over_raw_{tag}"] = round(ratio, 2)
    if len(results) > 1:
        base, top = grid.label(results[0]["size"]), grid.label(results[-1]["size"])
        ratio = results[-1]["s"] / results[0]["s"]
        figures[f"order_part_search_{top}_over_{base}"] = round(ratio, 2)
