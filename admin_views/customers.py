"""Customer grids (A1-A5): owned customers with days left before reclaim, and the public pool
(公海) with Claim; the owner role assigns and transfers in bulk."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import SelectField

from admin_views.auth import safe_target
from admin_views.base import GuardedModelView
from admin_views.customer_links import NameLinkWidget, name_link
from admin_views.customer_page import CustomerPageMixin
from admin_views.export_values import stored
from admin_views.grid_filters import ReturnsSoonFilter
from models import Customer, Staff
from rules import settings
from rules.ownership import assign, claim, count_days_left
from rules.pool_privacy import mask_phone, pool_search_clause, sees_whole_numbers
from rules.search import customer_phone_clause, prefix_range, tidy

GENDER_CHOICES = [("F", _l("Female")), ("M", _l("Male"))]
LEVEL_CHOICES = [
    ("normal", _l("Normal")),
    ("silver", _l("Silver")),
    ("gold", _l("Gold")),
    ("vip", _l("VIP")),
]
LABELS = {
    "name": _l("Name"),
    "phone": _l("Mobile"),
    "gender": _l("Gender"),
    "birthday": _l("Birthday"),
    "wechat": _l("WeChat"),
    "address": _l("Address"),
    "level": _l("Level"),
    "owner": _l("Owner"),
    "salesperson": _l("Salesperson"),
    "store": _l("Store"),
    "incomplete": _l("Incomplete"),
    "created_at": _l("Created"),
    "notes": _l("Notes"),
    "days_left": _l("Days left"),
    "last_followup_at": _l("Last follow-up"),
    "next_followup_on": _l("Next follow-up"),
    "estimated_end_on": _l("Estimated end"),
    "owner_since": _l("Owner since"),
    "released_at": _l("Returned to pool"),
    "previous_owner": _l("Previous owner"),
    "clock_start": _l("Reclaim clock from"),
    "last_deal_at": _l("Last purchase"),
    "claim_button": "",
    "warned_clock": _l("Warned"),
}


def days_left_formatter(view: Any, context: Any, model: Any, name: str) -> Any:
    """Days left before reclaim; red when the owner is being warned."""
    days = getattr(model, "days_left", None)
    if days is None:
        return ""
    days = int(days)
    warn = settings().customers.warn_days_before
    css = "badge-danger" if days <= warn else "badge-light"
    return Markup('<span class="badge {}">{}</span>').format(css, _("%(n)d days", n=days))


def incomplete_formatter(view: Any, context: Any, model: Any, name: str) -> Any:
    """Flag incomplete profiles (missing soft-required fields); nothing when complete."""
    if not model.incomplete:
        return ""
    return Markup('<span class="badge badge-warning">{}</span>').format(_("To complete"))


def claim_button(view: Any, context: Any, model: Any, name: str) -> Any:
    """A one-click Claim for people who may claim (a POST with the CSRF token)."""
    if not view.is_action_allowed("claim"):
        return ""
    return Markup(
        '<form method="post" action="{}" class="d-inline">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<input type="hidden" name="action" value="claim">'
        '<input type="hidden" name="rowid" value="{}">'
        '<button class="btn btn-sm btn-primary" data-testid="claim-{}">{}</button></form>'
    ).format(view.get_url(".action_view"), generate_csrf(), model.id, model.id, _("Claim"))


def pool_phone(view: Any, context: Any, model: Any, name: str) -> str:
    """A pool customer's number, masked (138****5678) unless the person sees numbers whole."""
    return model.phone if sees_whole_numbers(g.actor) else mask_phone(model.phone)


class CustomerGrid(CustomerPageMixin, GuardedModelView):
    """Shared by the owned-customers grid and the pool grid; their details page is the customer
    page (admin_views/customer_page.py)."""

    column_joins = ("owner", "salesperson", "store")
    column_searchable_list = ("name", "wechat")
    column_search_prefix = ("phone",)
    column_filters = ("incomplete", "gender", "level", "created_at")
    column_choices = {"gender": GENDER_CHOICES, "level": LEVEL_CHOICES}
    column_labels = LABELS
    column_formatters = {
        "days_left": days_left_formatter,
        "incomplete": incomplete_formatter,
        "claim_button": claim_button,
        "name": name_link,
    }
    column_formatters_export = {
        "days_left": lambda v, c, m, n: None if m.days_left is None else int(m.days_left),
        "incomplete": stored,
        "name": stored,
    }
    column_details_exclude_list = ("version", "warned_clock")
    details_template = "customers/details.html"
    form_columns = ("name", "phone", "gender", "birthday", "wechat", "address", "level", "notes")
    column_import_list = form_columns
    form_overrides = {"gender": SelectField, "level": SelectField}
    form_args = {
        "gender": {"choices": [("", "—"), *GENDER_CHOICES]},
        "level": {"choices": LEVEL_CHOICES},
    }

    def _term_clause(self, term: str) -> Any:
        """A mobile number, its first digits or its last 4 (尾号); else a name or a WeChat ID.
        Each from an index within the person's scope (migration 14), never `LIKE '%1234'`."""
        phone = customer_phone_clause(Customer, term)
        if phone is not None:
            return phone
        text = tidy(term)
        clause = Customer.name.contains(term)
        return clause | prefix_range(Customer.wechat, text) if text.isascii() else clause

    def search_placeholder(self) -> str | None:
        return _("Mobile or its last 4 digits / name / WeChat")

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """A new customer belongs to whoever enters it (A1); store staff's to their store."""
        if model.gender == "":
            model.gender = None
        if not is_created:
            return
        actor = g.actor
        if "store_staff" in actor.roles and actor.store_id:
            model.store = actor.store_id
            model.owner = actor.id
        elif "salesperson" in actor.roles:
            model.owner = actor.id

    def scaffold_list_form(self, widget: Any = None, validators: Any = None) -> Any:
        """The name opens the customer page; a pencil beside it renames in place."""
        return super().scaffold_list_form(widget or NameLinkWidget(), validators)

    @action("print_card", _l("Print customer cards"))
    def action_print_card(self, ids: list[str]) -> Any:
        return self.print_selected("customer_card", ids)

    # -- assign / transfer (owner role) ----------------------------------------------------
    def is_action_allowed(self, name: str) -> bool:
        if name == "assign":
            return "owner" in g.actor.roles
        if name == "claim":
            return bool({"salesperson", "store_staff"} & g.actor.roles)
        return super().is_action_allowed(name)

    @action("assign", _l("Assign / transfer to…"))
    def action_assign(self, ids: list[str]) -> Any:
        came = urlparse(request.referrer or "")
        back = came.path + (f"?{came.query}" if came.query else "")
        return redirect(url_for(".assign_view", ids=",".join(ids), url=back))

    @expose("/assign/", methods=("GET", "POST"))
    def assign_view(self) -> Any:
        if "owner" not in g.actor.roles:
            return self.inaccessible_callback("assign")
        ids = [i for i in request.values.get("ids", "").split(",") if i.isdigit()]
        rows = self.selected(ids)
        people = list(Staff.select().where(Staff.active).order_by(Staff.display_name))
        people = [p for p in people if {"salesperson", "store_staff"} & p.role_set]
        back = safe_target(request.values.get("url"), self.get_url(".index_view"))
        if request.method == "POST":
            target = Staff.get_or_none(Staff.id == request.form.get("staff", type=int))
            if target is None:
                flash(_("Choose who receives the customers."), "error")
            else:
                self.run_per_row(ids, lambda row: assign(row, target), _("Assigned"))
                return redirect(back)
        return self.render(
            "customers/assign.html", rows=rows, people=people, ids=",".join(ids), back=back
        )


class CustomerView(CustomerGrid):
    """Customers someone owns: a salesperson sees their own, store staff their store's."""

    column_list = (
        "name",
        "phone",
        "gender",
        "level",
        "owner",
        "salesperson",
        "store",
        "days_left",
        "last_followup_at",
        "incomplete",
        "created_at",
    )
    column_editable_list = ("name", "phone", "gender", "level", "address", "wechat")
    column_filters = (
        *CustomerGrid.column_filters,
        ReturnsSoonFilter(Customer.clock_start, _l("Back in the pool soon")),
    )
    column_default_sort = ("created_at", True)
    # Only indexed columns sort (days left uses the clock index per owner).
    column_sortable_list = ("name", "phone", "created_at", ("days_left", count_days_left(Customer)))

    def list_where(self) -> Any:
        return Customer.owner.is_null(False)

    def extra_columns(self) -> list[Any]:
        return [count_days_left(Customer).alias("days_left")]


class PoolView(CustomerGrid):
    """The public pool (公海): the company's, and for store staff their store's."""

    column_list = (
        "claim_button",
        "name",
        "phone",
        "gender",
        "level",
        "store",
        "previous_owner",
        "released_at",
        "incomplete",
        "created_at",
    )
    column_joins = ("store", "previous_owner")
    column_export_exclude_list = ("version", "claim_button")
    column_default_sort = ("created_at", True)
    # Not by phone: sorting by a masked number would order people by its hidden digits.
    column_sortable_list = ("name", "created_at")
    list_template = "customers/pool.html"
    column_filters_excluded = ("owner", "salesperson")  # nobody's, by definition
    never = frozenset({"create", "edit", "delete"})
    # The number is masked in the list, the details page and the export alike.
    column_formatters = {**CustomerGrid.column_formatters, "phone": pool_phone}

    def _term_clause(self, term: str) -> Any:
        """A whole number or its last 4 digits only, for people who see masked numbers."""
        if not sees_whole_numbers(g.actor):
            clause = pool_search_clause(Customer, term)
            if clause is not None:
                return clause
        return super()._term_clause(term)

    def _display(self, name: str, value: Any, names: dict) -> str:
        """The details page's history masks the number too."""
        text = super()._display(name, value, names)
        return mask_phone(text) if name == "phone" and not sees_whole_numbers(g.actor) else text

    def row_label(self, row: Any) -> str:
        return f"{row.name} ({pool_phone(self, None, row, 'phone')})"

    def is_action_allowed(self, name: str) -> bool:
        if name == "print_card" and not sees_whole_numbers(g.actor):
            return False  # the card prints the whole number
        return super().is_action_allowed(name)

    def list_where(self) -> Any:
        return Customer.owner.is_null()

    @action("claim", _l("Claim"), _l("Take the selected customers as your own?"))
    def action_claim(self, ids: list[str]) -> None:
        self.run_per_row(ids, claim, _("Claimed"))
