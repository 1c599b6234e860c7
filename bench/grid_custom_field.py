"""grid.py's `custom_field_filter` cases (issue 10, item 4): the owner's own choice field on
customers, created before the bulk load through the app's own path (rules/custom_fields.py
validates and parses it, models/custom_fields.py adds the column and its index and loads it
into the model), filled for every seeded row, and the customer grid filtered on it
(`?flt0_<n>=fair`, Flask-Admin's "equals" filter that the grid offers for the field), as the
salesperson and as the owner. Its floor is grid.py's: the same WHERE plus `x_source = ?`."""

from __future__ import annotations

import random
from collections.abc import Iterator

import rules
from models import custom_fields as store
from models import db
from rules import custom_fields as cf

NAME = "source"
COLUMN = cf.column_name(NAME)  # x_source
# key, English, Chinese, share of the customers. The filter asks for the trade fairs (20%):
# enough that the salesperson's first page is full at 10k (about 70 of their 350), so the sizes
# compare the same 50 rendered rows and the growth is the database's.
CHOICES = (
    ("fair", "Trade fair", "展会", 20),
    ("web", "Website", "网站", 30),
    ("referral", "Referral", "转介绍", 20),
    ("walk_in", "Walk-in", "到店", 30),
)
WANTED = "fair"


def create_field() -> None:
    """The field as the owner's Settings page adds it (RuleViolation if it were refused)."""
    text = "\n".join(f"{key} | {en} | {zh}" for key, en, zh, _share in CHOICES)
    picks, errors = cf.parse_choices(text)
    assert not errors, errors
    definition = cf.Definition(
        table="customer",
        name=COLUMN,
        kind="choice",
        label_en="Source",
        label_zh="来源",
        choices=tuple(picks),
    )
    with db.connection_context(), rules.acting_as(rules.SYSTEM):
        store.add(definition, "bench")


def values(rng: random.Random) -> Iterator[str]:
    """One choice key per seeded customer, in the shares above."""
    keys = [key for key, *_rest in CHOICES]
    weights = [share for *_rest, share in CHOICES]
    while True:
        yield rng.choices(keys, weights)[0]


def kinds(view, shown: set[int], mark: str, newest: str) -> list[tuple]:
    """grid.py's (name, url, raw WHERE, raw params, raw ORDER BY) for the filtered page."""
    mine = [i for i, f in enumerate(view._filters) if getattr(f.column, "name", "") == COLUMN]
    if not mine:  # a bench that did not create the field (bench/customers.py)
        return []
    flt = min(i for i in mine if i in shown)  # its first operation is "equals"
    assert str(view._filters[flt].operation()) in ("equals", "等于"), view._filters[flt]
    where = [f"c.{COLUMN} = {mark}"]
    url = f"/admin/customer/?flt0_{flt}={WANTED}"
    return [("custom_field_filter", url, where, [WANTED], newest)]
