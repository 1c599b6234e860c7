"""The inbox: each person's messages, newest first, with an unread badge in the navbar."""

from __future__ import annotations

from typing import Any

from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin_views.base import GuardedModelView
from admin_views.export_values import stored
from rules.notifications import mark_read


def _title(view: Any, context: Any, model: Any, name: str) -> Markup:
    text = Markup("<b>{}</b>").format(model.title) if model.read_at is None else model.title
    if model.link.startswith("/"):
        return Markup('<a href="{}">{}</a>').format(model.link, text)
    return Markup("{}").format(text)


class InboxView(GuardedModelView):
    column_list = ("created_at", "title", "body", "read_at")
    column_labels = {
        "created_at": _l("When"),
        "title": _l("Message"),
        "body": _l("Details"),
        "read_at": _l("Read"),
    }
    column_formatters = {"title": _title}
    column_formatters_export = {"title": stored}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = ("read_at",)
    can_view_details = False
    never = frozenset({"create", "edit"})

    def is_visible(self) -> bool:
        return False  # reached from the navbar badge, not the menu

    @action("mark_read", _l("Mark as read"))
    def action_mark_read(self, ids: list[str]) -> None:
        self.run_per_row(ids, mark_read, _("Marked as read"))
