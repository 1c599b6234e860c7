"""The test-only process's grid (issue 8, item 9): registered only by the test fixture, never
in production (admin_views/registry.py does not know it). It deliberately offers `status` in
its form, its inline edit and its import, so that the matrix proves the engine, not the view,
refuses a status set directly."""

from __future__ import annotations

from typing import Any

from admin_views.approvals import ApprovalMixin
from admin_views.base import GuardedModelView
from tests.ticket_process import Ticket


class TicketView(ApprovalMixin, GuardedModelView):
    column_list = ("title", "status", "credits")
    column_editable_list = ("title", "status")
    form_columns = ("title", "status")
    column_import_list = form_columns


def add_ticket_view(app: Any) -> None:
    """Register the grid on a freshly built app (before its first request)."""
    admin = app.extensions["admin"][0]
    admin.add_view(TicketView(Ticket, "Tickets", endpoint="ticket"))
