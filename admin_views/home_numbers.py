"""The home page's numbers: each one is a grid's own count under one of its own filters, and
links to that grid so filtered, so the number and the rows behind the link are the same rows."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_admin.contrib.peewee.filters import (
    BooleanEqualFilter,
    DateEqualFilter,
    DateSmallerFilter,
    IntEqualFilter,
)
from flask_babel import lazy_gettext as _l

from rules import local_today
from rules.permissions import may


def grid_number(view: Any, wanted: list[tuple[Any, type, str]], **url_args: Any) -> dict | None:
    """{count, url} of `view` filtered by `wanted` [(column, filter class, value)], counted
    exactly as the grid counts the same URL (scope, grid filter, then the filters); None when
    the grid is closed to the person or lacks one of the filters."""
    if view is None or not view.is_accessible():
        return None
    args, query = dict(url_args), view.get_count_query()
    for pos, (column, kind, value) in enumerate(wanted):
        found = next(
            (
                (i, f)
                for i, f in enumerate(view._filters or [])
                if type(f) is kind and getattr(f, "column", None) is column
            ),
            None,
        )
        if found is None:
            return None
        index, flt = found
        args[f"flt{pos}_{view.get_filter_arg(index, flt)}"] = value
        query = flt.apply(query, flt.clean(value))
    return {"count": query.scalar(), "url": url_for(f"{view.endpoint}.index_view", **args)}


def _sort_index(view: Any, name: str) -> int | None:
    """The grid's `sort` URL argument for a column (Flask-Admin sorts by column position)."""
    names = [n for n, _label in getattr(view, "_list_columns", None) or []]
    return names.index(name) if name in names else None


def _view(admin: Any, endpoint: str) -> Any:
    return next((v for v in admin._views if getattr(v, "endpoint", None) == endpoint), None)


def numbers(admin: Any) -> list[dict[str, Any]]:
    """The person's numbers, most pressing first: [{key, label, count, url, warn}], only those
    whose grid the person may open."""
    from admin_views.grid_filters import OpenFilter, ReturnsSoonFilter
    from models import AdverseCase, Customer, FollowUpTask, StockBalance

    today = local_today().isoformat()
    tasks, customers = _view(admin, "follow_up_task"), _view(admin, "customer")
    wanted = [
        ("overdue", _l("Overdue tasks"), tasks, [(FollowUpTask.due_on, DateSmallerFilter, today)]),
        (
            "due_today",
            _l("Tasks due today"),
            tasks,
            [(FollowUpTask.due_on, DateEqualFilter, today)],
        ),
        (
            "returns_soon",
            _l("Customers soon back in the pool"),
            customers,
            [(Customer.clock_start, ReturnsSoonFilter, "1")],
        ),
        (
            "incomplete",
            _l("Customers to complete"),
            customers,
            [(Customer.incomplete, BooleanEqualFilter, "1")],
        ),
        (
            "open_cases",
            _l("Open adverse-reaction cases"),
            _view(admin, "adverse_case"),
            [(AdverseCase.closed_at, OpenFilter, "1")],
        ),
        (
            "out_of_stock",
            _l("Out of stock"),
            _view(admin, "stock_balance"),
            [(StockBalance.on_hand, IntEqualFilter, "0")],
        ),
    ]
    # warnings for the people who act on them: who edits customers, who closes cases
    acts = {"returns_soon": "customer", "incomplete": "customer", "open_cases": "adverse_case"}
    rows = []
    for key, label, view, filters in wanted:
        if key in acts and not may(g.actor, acts[key], "edit"):
            continue
        sort = _sort_index(view, "days_left") if key == "returns_soon" else None
        found = grid_number(view, filters, **({} if sort is None else {"sort": sort}))
        if found is not None:
            rows.append({"key": key, "label": label, "warn": key != "due_today", **found})
    return rows


CHART_W, CHART_H, BAR_GAP = 480, 120, 6


def bar_chart(weeks: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """Bars of an inline SVG chart (drawn in the template, no script): x, y, width and height
    in a CHART_W × CHART_H box, the tallest week full height; each with its week and amount."""
    top = max((amount for _start, amount in weeks), default=0) or 1
    width = CHART_W / max(len(weeks), 1)
    bars = []
    for i, (start, amount) in enumerate(weeks):
        height = round(float(amount) / float(top) * (CHART_H - 4), 1)
        bars.append(
            {
                "x": round(i * width + BAR_GAP / 2, 1),
                "y": round(CHART_H - height, 1),
                "w": round(width - BAR_GAP, 1),
                "h": height,
                "start": start,
                "amount": amount,
            }
        )
    return bars
