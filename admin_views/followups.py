"""Follow-up grids (C1, C2): log a follow-up with the full survey; "my tasks" by priority."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from admin_views.base import GuardedModelView
from admin_views.customer_links import CustomerIs, customer_link, customer_text
from admin_views.i18n_extra import key_text
from models import FollowUp, FollowUpTask
from rules import local_today
from rules.customers import customers_served_by
from rules.followups import priority_expr
from rules.permissions import may

LABELS = {
    "customer": _l("Customer"),
    "staff": _l("Logged by"),
    "at": _l("When"),
    "users_count": _l("Users"),
    "amount_per_person": _l("Amount per person"),
    "adverse_reaction": _l("Adverse reaction"),
    "adverse_details": _l("Reaction details"),
    "expectations": _l("Expectations"),
    "estimated_end_on": _l("Estimated end date"),
    "next_followup_on": _l("Next follow-up date"),
    "notes": _l("Notes"),
    "assignee": _l("Assignee"),
    "reason": _l("Why"),
    "due_on": _l("Due"),
    "priority": _l("Priority"),
    "status": _l("Status"),
}
YES_NO = [("", "—"), ("0", _l("No")), ("1", _l("Yes"))]


class FollowUpView(GuardedModelView):
    column_list = (
        "at",
        "customer",
        "staff",
        "users_count",
        "amount_per_person",
        "adverse_reaction",
        "expectations",
        "estimated_end_on",
        "next_followup_on",
    )
    column_joins = ("customer", "staff")
    column_labels = LABELS
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)
    column_filters = ("adverse_reaction", "at", "next_followup_on", CustomerIs(FollowUp.customer))
    column_formatters = {"customer": customer_link}
    column_formatters_export = {"customer": customer_text}
    form_columns = (
        "customer",
        "users_count",
        "amount_per_person",
        "adverse_reaction",
        "adverse_details",
        "expectations",
        "estimated_end_on",
        "next_followup_on",
        "notes",
    )
    form_overrides = {"adverse_reaction": SelectField}
    form_args = {
        "adverse_reaction": {
            "choices": YES_NO,
            "coerce": lambda v: None if v in ("", None, "None") else v in (True, "1", "True"),
        }
    }

    # Only customers the person may follow up (their own, or their store's), by type-ahead.
    form_ajax_refs = {"customer": {"rows": customers_served_by}}


def _task_customer(view: Any, context: Any, model: Any, name: str) -> Markup:
    link = url_for(
        "follow_up.create_view",
        customer=model.customer_id,
        url=url_for("follow_up_task.index_view"),
    )
    return Markup('{} <a class="btn btn-sm btn-outline-primary ml-2" href="{}">{}</a>').format(
        customer_link(view, context, model, name), link, _("Log follow-up")
    )


class TaskView(GuardedModelView):
    """My open follow-up tasks, most urgent first; logging the follow-up closes them."""

    column_list = ("priority_now", "customer", "reason", "due_on", "assignee")
    column_joins = ("customer", "assignee")
    column_labels = {**LABELS, "priority_now": _l("Priority")}
    column_formatters = {
        "customer": _task_customer,
        "reason": lambda v, c, m, n: key_text(m.reason),
        "priority_now": lambda v, c, m, n: int(m.priority_now),  # whole points, never 3.0
    }
    column_formatters_export = {"customer": customer_text}
    column_filters = ("reason", "due_on", CustomerIs(FollowUpTask.customer))
    can_view_details = False
    # The daily job creates tasks; logging a follow-up closes them.
    never = frozenset({"create"})
    # A task can be handed on (inline, by type-ahead, issue 10 item 3): the rules accept only
    # someone who may log its follow-up (the owner, or a colleague in the customer's store).
    column_editable_list = ("assignee",)
    form_columns = ("assignee",)
    form_ajax_refs = {"assignee": {}}

    def allowed(self, permission: str) -> bool:
        """Handing a task on picks a person: only for people who may see the staff list."""
        if permission == "edit" and not (g.get("actor") and may(g.actor, "staff", "view")):
            return False
        return super().allowed(permission)

    def list_where(self) -> Any:
        return FollowUpTask.status == "open"

    def priority(self) -> Any:
        return priority_expr(FollowUpTask, local_today())

    def extra_columns(self) -> list[Any]:
        return [self.priority().alias("priority_now")]

    @property
    def column_sortable_list(self) -> Any:  # type: ignore[override]
        return (("priority_now", self.priority()), "due_on")

    @column_sortable_list.setter
    def column_sortable_list(self, value: Any) -> None:
        pass

    column_default_sort = None

    def _get_default_order(self) -> Any:
        return [(self.priority(), True), (FollowUpTask.due_on, False)]
