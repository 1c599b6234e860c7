"""The customer page (客户360, issue 9 item 1): one screen with the profile and its completeness,
owner, store and days left before reclaim, points, orders, follow-ups with their survey, open
tasks and ownership history. Every list is paged on the server (`PAGE_SIZE` rows, its own page
parameter) and read through the row scope of its own table, within this one customer."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import g, redirect, request, url_for
from flask_admin import expose
from flask_wtf.csrf import generate_csrf
from peewee import CompoundSelectQuery, Expression, Select

from admin_views import state_label
from admin_views.customer_links import filtered_grid
from admin_views.followups import LABELS as FOLLOW_UP_LABELS
from admin_views.sales import LABELS as ORDER_LABELS
from admin_views.stock import source_text
from models import (
    Customer,
    FollowUp,
    FollowUpTask,
    OwnershipChange,
    PointsAccount,
    PointsEntry,
    SalesOrder,
    Staff,
)
from rules import settings
from rules.completeness import missing
from rules.customers import customers_served_by
from rules.ownership import count_days_left
from rules.permissions import may
from rules.pool_privacy import mask_phone, sees_whole_numbers
from rules.scope import scope_expr, visible
from rules.workflow import flow

PAGE_SIZE = 10


def _paged(query: Any, param: str) -> dict[str, Any]:
    """One page of `query` (already ordered), chosen by the request's `param`."""
    count = query.order_by().count()
    pages = max(1, ceil(count / PAGE_SIZE))
    page = min(max(1, request.args.get(param, 1, type=int)), pages)
    return {
        "rows": list(query.paginate(page, PAGE_SIZE)),
        "count": count,
        "page": page,
        "pages": pages,
        "param": param,
    }


def page_link(param: str, page: int) -> str:
    """This page with one list moved to `page`; the other lists keep theirs."""
    args = {**request.args.to_dict(), param: page}
    return url_for(request.endpoint, **args) + f"#{param}"


def order_state(status: str) -> tuple[str, str]:
    """An order's state as its grid shows it: the label in the person's language, its colour."""
    state = flow("sales_order").state(status)
    return state_label(status), (state.colour if state else "light")


def staff_names(ids: set[Any]) -> dict[Any, str]:
    """Names of the people on one page of a list (not every staff row)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = Staff.select(Staff.id, *(getattr(Staff, f) for f in Staff.label_fields))
    return {s.id: str(s) for s in rows.where(Staff.id.in_(ids))}


def _scoped(model: type, customer_id: int, *more: Any) -> Any:
    """`model`'s rows of one customer that the person may see (its own table's row scope).

    The scope is `rules.scope`'s, unchanged, with each of its subqueries narrowed to this
    customer (rows of `model`: `customer = ?`; customers: `id = ?`). The outer query keeps only
    this customer's rows, so that changes no result; it keeps a salesperson's subquery to one
    customer's rows instead of every order, follow-up or customer of theirs (the company's
    size would otherwise show in every page)."""
    base = model.customer == customer_id
    for condition in more:
        base = base & condition
    expr = scope_expr(model, g.actor, base)
    where = base if expr is None else base & _within(expr, model, customer_id)
    return model.select().where(where)


def _within(node: Any, model: type, customer_id: int) -> Any:
    """`node` with every subquery over `model` or Customer narrowed to one customer."""
    if isinstance(node, Expression):
        lhs, rhs = (_within(n, model, customer_id) for n in (node.lhs, node.rhs))
        return Expression(lhs, node.op, rhs, node.flat)
    if isinstance(node, CompoundSelectQuery):
        both = node.clone()
        both.lhs, both.rhs = (_within(n, model, customer_id) for n in (node.lhs, node.rhs))
        return both
    if isinstance(node, Select) and len(node._from_list) == 1:
        narrowed = node.clone()
        if narrowed._where is not None:
            narrowed._where = _within(narrowed._where, model, customer_id)
        source = node._from_list[0]
        if source is model:
            return narrowed.where(model.customer == customer_id)
        if source is Customer:
            return narrowed.where(Customer.id == customer_id)
        return narrowed
    return node


class CustomerPageMixin:
    """Mixed into the customer grids (owned and pool): their details page is the customer page."""

    @expose("/details/")
    def details_view(self) -> Any:
        """A customer grid's page for a customer that belongs to the other grid (a name
        linked from an order of a customer since returned to the pool) sends the person on."""
        wanted = request.args.get("id", "")
        if wanted.isdigit() and self.get_one(wanted) is None:
            row = visible(Customer.select(Customer.owner), Customer, g.actor)
            row = row.where(Customer.id == int(wanted)).first()
            other = None if row is None else ("pool" if row.owner_id is None else "customer")
            if other and other != self.endpoint:
                return redirect(url_for(f"{other}.details_view", id=wanted))
        return super().details_view()

    def _lists(self, customer: Any) -> dict[str, Any]:
        actor, cid, lists = g.actor, customer.id, {}
        if may(actor, "sales_order", "view"):
            orders = _scoped(SalesOrder, cid).order_by(
                SalesOrder.created_at.desc(), SalesOrder.id.desc()
            )
            lists["orders"] = _paged(orders, "orders_page")
            lists["orders"]["more"] = filtered_grid("sales_order", cid)
        if may(actor, "follow_up", "view"):
            follow_ups = _scoped(FollowUp, cid).order_by(FollowUp.at.desc(), FollowUp.id.desc())
            lists["follow_ups"] = _paged(follow_ups, "follow_ups_page")
            lists["follow_ups"]["more"] = filtered_grid("follow_up", cid)
        if may(actor, "follow_up_task", "view"):
            tasks = _scoped(FollowUpTask, cid, FollowUpTask.status == "open")
            tasks = tasks.order_by(FollowUpTask.due_on, FollowUpTask.id)
            lists["tasks"] = _paged(tasks, "tasks_page")
            lists["tasks"]["more"] = filtered_grid("follow_up_task", cid)
        ledger = PointsEntry.select().where(PointsEntry.customer == cid)
        lists["points"] = _paged(
            ledger.order_by(PointsEntry.at.desc(), PointsEntry.id.desc()), "points_page"
        )
        if may(actor, "ownership_change", "view"):
            changes = OwnershipChange.select().where(OwnershipChange.customer == cid)
            changes = changes.order_by(OwnershipChange.at.desc(), OwnershipChange.id.desc())
            lists["ownership"] = _paged(changes, "ownership_page")
        lists["points"]["orders"] = self._order_numbers(cid, lists["points"]["rows"])
        people = set()
        for row in lists.get("follow_ups", {}).get("rows", []):
            people.add(row.staff_id)
        for row in lists.get("tasks", {}).get("rows", []):
            people.add(row.assignee_id)
        for row in lists.get("ownership", {}).get("rows", []):
            people.update((row.from_owner_id, row.to_owner_id))
        lists["names"] = staff_names(people)
        return lists

    def _order_numbers(self, customer_id: int, entries: list[Any]) -> dict[str, Any]:
        """The orders a page of the points ledger names ("sales_order:12"), by source, with
        their numbers: only those the person may see (the others are named as a document)."""
        ids = {
            int(e.source.partition(":")[2])
            for e in entries
            if e.source.startswith("sales_order:") and e.source.partition(":")[2].isdigit()
        }
        if not ids or not may(g.actor, "sales_order", "view"):
            return {}
        rows = _scoped(SalesOrder, customer_id, SalesOrder.id.in_(ids))
        return {f"sales_order:{o.id}": o for o in rows}

    def _facts(self, customer: Any) -> dict[str, Any]:
        days = None
        if customer.owner_id is not None:
            days = (
                Customer.select(count_days_left(Customer))
                .where(Customer.id == customer.id)
                .scalar()
            )
        rule = settings().rules.get("customer")
        account = PointsAccount.get_or_none(PointsAccount.customer == customer.id)
        shown = sees_whole_numbers(g.actor) or customer.owner_id is not None
        return {
            "days_left": None if days is None else int(days),
            "warn_days": settings().customers.warn_days_before,
            "missing": [
                self.get_column_name(n)
                for n in missing(customer, rule.soft_required if rule else [])
            ],
            "level": dict(self.column_choices.get("level", [])).get(customer.level, customer.level),
            "balance": account.balance if account else 0,
            "phone": customer.phone if shown else mask_phone(customer.phone),
            "names": staff_names({customer.owner_id, customer.salesperson_id}),
        }

    def _verbs(self, customer: Any) -> dict[str, Any]:
        """What this person may do with this customer, and nothing else."""
        actor, here = g.actor, request.full_path
        served = customers_served_by(actor).where(Customer.id == customer.id).exists()
        verbs: dict[str, Any] = {}
        if served and may(actor, "follow_up", "create"):
            verbs["follow_up"] = url_for("follow_up.create_view", customer=customer.id, url=here)
        if served and may(actor, "sales_order", "create"):
            verbs["order"] = url_for("sales_order.create_view", customer=customer.id, url=here)
        if (
            customer.owner_id is None
            and self.endpoint == "pool"
            and self.is_action_allowed("claim")
        ):
            verbs["claim"] = {
                "action": self.get_url(".action_view"),
                "csrf": generate_csrf(),
                "back": url_for("customer.details_view", id=customer.id),
            }
        if self.is_action_allowed("assign"):
            verbs["assign"] = self.get_url(".assign_view", ids=customer.id, url=here)
        if self.can_edit:
            verbs["edit"] = self.get_url(".edit_view", id=customer.id, url=here)
        return verbs

    def render(self, template: str, **kwargs: Any) -> Any:
        customer = kwargs.get("model")
        if template == self.details_template and customer is not None:
            kwargs["page"] = {
                **self._lists(customer),
                "facts": self._facts(customer),
                "verbs": self._verbs(customer),
                "link": page_link,
                "state": order_state,
                "source": source_text,
                "order_labels": ORDER_LABELS,
                "follow_up_labels": FOLLOW_UP_LABELS,
            }
        return super().render(template, **kwargs)
