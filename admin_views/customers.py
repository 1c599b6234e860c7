"""Customer grid (A1, A2, A5). Ownership, the pool and follow-ups build on this view."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from admin_views.base import GuardedModelView

GENDER_CHOICES = [("F", _l("Female")), ("M", _l("Male"))]
LEVEL_CHOICES = [
    ("normal", _l("Normal")),
    ("silver", _l("Silver")),
    ("gold", _l("Gold")),
    ("vip", _l("VIP")),
]


class CustomerView(GuardedModelView):
    column_list = (
        "name",
        "phone",
        "gender",
        "level",
        "owner",
        "salesperson",
        "store",
        "incomplete",
        "created_at",
    )
    column_joins = ("owner", "salesperson", "store")
    column_searchable_list = ("name",)
    column_search_prefix = ("phone",)
    column_filters = ("incomplete", "gender", "level", "created_at")
    column_editable_list = ("name", "address", "wechat")
    column_default_sort = ("created_at", True)
    # Only indexed columns sort: any other sort reads the whole table at a million rows.
    column_sortable_list = ("name", "phone", "created_at")
    column_choices = {"gender": GENDER_CHOICES, "level": LEVEL_CHOICES}
    column_labels = {
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
    }
    form_columns = (
        "name",
        "phone",
        "gender",
        "birthday",
        "wechat",
        "address",
        "level",
        "owner",
        "salesperson",
        "store",
        "notes",
    )
    form_overrides = {"gender": SelectField, "level": SelectField}
    form_args = {
        "gender": {"choices": [("", "—"), *GENDER_CHOICES]},
        "level": {"choices": LEVEL_CHOICES},
    }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """A new customer belongs to whoever enters it (A1: first to submit owns it)."""
        if not is_created:
            return
        actor = g.actor
        if model.owner_id is None and "salesperson" in actor.roles:
            model.owner = actor.id
        if model.store_id is None and "store_staff" in actor.roles:
            model.store = actor.store_id
            model.owner = model.owner_id or actor.id
        if model.gender == "":
            model.gender = None

    @action("print_card", _l("Print customer cards"))
    def action_print_card(self, ids: list[str]) -> Any:
        return self.print_selected("customer_card", ids)
