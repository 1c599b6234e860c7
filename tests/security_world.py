"""A company with a row of every kind in every scope, for the generated security suite (issue 11
item 4): orders at several steps, follow-ups, adverse cases, tasks, stock, messages, saved
views, a job run and an export log, on top of tests.conftest.World.

Every free-text column of every registered grid can then be stamped: with a token naming its
row (`stamp_tokens`, to find out-of-scope data in a response) or with a hostile value
(`fill_text`, the XSS and formula-injection corpora). Which columns are free text is read from
the models, so a new text column is covered without a change here; only columns holding codes
the application itself parses (a phone number, a state, a role list) are left alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from peewee import CharField, TextField

import rules
from models import FollowUp, SalesOrder, SalesOrderLine, StockMove, db
from models.export_log import ExportLog
from models.grid_views import SavedView
from tests.conftest import World, actor_of, system

# Columns whose values the application parses or matches (codes, states, phone numbers,
# JSON, roles): a free-text payload there tests the parser, not the escaping.
CODED = {
    "phone",
    "recipient_phone",
    "gender",
    "level",
    "status",
    "number",
    "sku",
    "code",
    "kind",
    "username",
    "password_hash",
    "roles",
    "locale",
    "key",
    "link",
    "delivery",
    "payment_method",
    "model",
    "record_id",
    "action",
    "grid",
    "format",
    "job",
    "outcome",
    "counts",
    "changes",
    "filters",
    "source",
    "via",
    "query",
    "columns",
    "shared_role",
    "unit",
}


def admin_models(app) -> list[type]:
    """The model of every registered grid, once each."""
    seen: list[type] = []
    for view in app.extensions["admin"][0]._views:
        model = getattr(view, "model", None)
        if model is not None and model not in seen:
            seen.append(model)
    return [*seen, SavedView]


def text_columns(model: type) -> list[str]:
    """The model's free-text columns (run-time custom text fields included)."""
    return [
        f.name
        for f in model._meta.sorted_fields
        if isinstance(f, CharField | TextField) and f.name not in CODED
    ]


def _acting(person):
    return rules.acting_as(actor_of(person))


def _order(world: World, person, customer, note: str, **extra: Any) -> SalesOrder:
    with db.connection_context(), _acting(person):
        order = SalesOrder(customer=customer.id, discount=Decimal("0"), note=note, **extra)
        order.save()
        SalesOrderLine(
            order=order.id, product=world.product.id, quantity=1, unit_price=Decimal("198.00")
        ).save()
    with system():
        return SalesOrder.get_by_id(order.id)


def _step(person, order: SalesOrder) -> SalesOrder:
    from rules.approval import approve

    parcel = {"courier": "顺丰速运", "tracking_no": f"SF{order.id}"}
    with db.connection_context(), _acting(person):
        approve(SalesOrder.get_by_id(order.id), values=parcel if order.status == "paid" else None)
    with system():
        return SalesOrder.get_by_id(order.id)


def follow_up(person, customer, details: str) -> None:
    """A follow-up by `person` reporting an adverse reaction (which opens a case)."""
    with db.connection_context(), _acting(person):
        FollowUp(
            customer=customer.id,
            users_count=1,
            amount_per_person="1",
            adverse_reaction=True,
            adverse_details=details,
            expectations="好",
            notes="随访",
            estimated_end_on=date.today(),
            next_followup_on=date.today(),
        ).save()


def populate(world: World) -> World:
    """Add the rows: two orders per scope (one shipped, so every voucher prints), follow-ups
    with adverse cases, due tasks, stock at three places, saved views, a job run."""
    from rules.followups import generate_tasks
    from tasks import JOBS

    with system():
        for place, qty in ((world.hq, 50), (world.s1, 5), (world.s2, 5)):
            StockMove(
                product=world.product.id, location=place.id, kind="inbound", quantity=qty
            ).save()
    world.orders = {}
    for person, customer in (
        (world.sales1, world.c_sales1),
        (world.sales2, world.c_sales2),
        (world.store1, world.c_store1),
        (world.store2, world.c_store2),
    ):
        draft = _order(world, person, customer, "草稿")
        express = {"delivery": "express", "recipient": "收件人", "recipient_phone": customer.phone}
        by_post = express if person in (world.sales1, world.store1) else {}  # others pick up
        shipped = _order(world, person, customer, "已发", address="上海市", **by_post)
        for mover in (person, world.supervisor, world.finance, world.warehouse):
            shipped = _step(mover, shipped)
        world.orders[person.username] = (draft, shipped)
    for person, customer in (
        (world.sales1, world.c_sales1),
        (world.sales2, world.c_sales2),
        (world.store1, world.c_store1),
        (world.store2, world.c_store2),
    ):
        follow_up(person, customer, "皮疹")
    with system():
        generate_tasks(date.today() + timedelta(days=1))
        for person in (world.sales1, world.store1, world.owner):
            SavedView(owner=person.id, grid="customer", name="我的视图", query="sort=0").save()
        ExportLog.record(
            actor_of(world.sales1),
            grid="customer",
            model="customer",
            format="csv",
            rows=1,
            search="王",
            filters="",
        )
    JOBS["reclaim_customers"].run()
    return world


def stamp_tokens(app) -> dict[str, dict[int, str]]:
    """Write `zq<table>x<id>qz` into the first free-text column of every row of every grid's
    model; returns {table: {id: token}} (tables without a text column are left out)."""
    tokens: dict[str, dict[int, str]] = {}
    with system():
        for model in admin_models(app):
            columns = [
                getattr(model, c)
                for c in text_columns(model)
                if (getattr(getattr(model, c), "max_length", None) or 10_000) >= 40
            ]
            if not columns:
                continue
            column = columns[0]
            table = model._meta.table_name
            tokens[table] = {}
            for row in model.select(model.id):
                token = f"zq{table.replace('_', '')}x{row.id}qz"
                tokens[table][row.id] = token
                model.update({column: token}).where(model.id == row.id).execute()
    return tokens


def fill_text(app, value_for: Any) -> int:
    """Set every free-text column of every row to `value_for(table, column, id)` (raw
    UPDATEs: hostile content that arrived by any path); returns the number of cells."""
    cells = 0
    with system():
        for model in admin_models(app):
            table = model._meta.table_name
            for name in text_columns(model):
                field = getattr(model, name)
                limit = getattr(field, "max_length", None) or 10_000
                for row in model.select(model.id):
                    value = value_for(table, name, row.id)[:limit]
                    model.update({field: value}).where(model.id == row.id).execute()
                    cells += 1
    return cells
