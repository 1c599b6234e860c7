"""Adverse-reaction cases (C1): opened by a follow-up that reports a reaction, closed by the
owner role or a sales supervisor with a note (the Close button; a note is required)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin_views.auth import safe_target
from admin_views.base import GuardedModelView
from admin_views.grid_filters import OpenFilter
from models import AdverseCase
from rules import RuleViolation
from rules.adverse import close_case
from rules.permissions import may

LABELS = {
    "opened_at": _l("Reported"),
    "customer": _l("Customer"),
    "follow_up": _l("Follow-up"),
    "details": _l("Reaction details"),
    "closed_by": _l("Closed by"),
    "closed_at": _l("Closed"),
    "closing_note": _l("Closing note"),
    "close_button": "",
}


def close_button(view: Any, context: Any, model: Any, name: str) -> Any:
    """A Close… button on open cases, for people who may close them."""
    if not model.is_open or not view.may_close():
        return ""
    return Markup(
        '<a class="btn btn-sm btn-warning" data-testid="close-{}" href="{}">{}</a>'
    ).format(model.id, view.get_url(".close_view", id=model.id, url=request.full_path), _("Close…"))


class AdverseCaseView(GuardedModelView):
    column_list = (
        "close_button",
        "opened_at",
        "customer",
        "details",
        "closed_at",
        "closed_by",
        "closing_note",
    )
    column_details_list = (
        "opened_at",
        "customer",
        "follow_up",
        "details",
        "closed_at",
        "closed_by",
        "closing_note",
    )
    column_joins = ("customer", "closed_by")
    column_labels = LABELS
    column_formatters = {"close_button": close_button}
    column_export_exclude_list = ("version", "close_button")
    column_filters = ("closed_at", "opened_at", OpenFilter(AdverseCase.closed_at, _l("Open")))
    column_default_sort = ("opened_at", True)
    column_sortable_list = ("opened_at", "closed_at")
    details_template = "adverse/details.html"
    # Cases are opened by the rules (a follow-up with a reaction) and change only by closing.
    never = frozenset({"create", "edit", "delete"})

    def may_close(self) -> bool:
        return may(g.actor, self.model_key, "edit")

    @expose("/close/", methods=("GET", "POST"))
    def close_view(self) -> Any:
        """Close one case with a required note; a refusal shows next to the note."""
        case = self.get_one(request.values.get("id", ""))
        if case is None or not self.may_close():
            return self.inaccessible_callback("close")
        back = safe_target(request.values.get("url"), self.get_url(".index_view"))
        errors: dict[str, list[str]] = {}
        note = request.form.get("closing_note", "")
        if request.method == "POST":
            try:
                close_case(case, note)
            except RuleViolation as exc:
                errors = exc.errors
            else:
                flash(_("The case is closed."), "success")
                return redirect(back)
        return self.render("adverse/close.html", case=case, errors=errors, note=note, back=back)
