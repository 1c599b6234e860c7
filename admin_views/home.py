"""The home page: each role lands on its own work, never on a public index."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_views.activity import recent
from admin_views.guard import LoginGuard
from admin_views.home_numbers import bar_chart, numbers
from rules.permissions import may

SALES_READERS = {"owner", "sales_supervisor"}


class HomeView(LoginGuard, AdminIndexView):
    """Closed to anonymous users; shows what needs doing, with links to the grids showing it,
    sales for the owner and supervisors, the grids this person works in and recent activity."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def grids(self) -> dict[str, Any]:
        """{table: its grid} for the grids the person may open (the inbox is not a record)."""
        return {
            view.model.model_key(): view
            for view in self.admin._views
            if hasattr(view, "model") and view.endpoint != "notification" and view.is_accessible()
        }

    def work_cards(self) -> list[dict[str, Any]]:
        """One card per grid the person may open (no whole-table counts: the numbers above
        count what needs doing, each by an index)."""
        cards = []
        for view in self.admin._views:
            if view is self or not hasattr(view, "get_count_query") or not view.is_accessible():
                continue
            cards.append(
                {
                    "name": view.name,
                    "category": view.category,
                    "url": url_for(f"{view.endpoint}.index_view"),
                    "can_create": view.can_create,
                }
            )
        return cards

    @expose("/")
    def index(self) -> Any:
        return self.render(
            "home.html",
            staff=current_user.staff,
            numbers=numbers(self.admin),
            sales=self.sales(),
            cards=self.work_cards(),
            recent=recent(g.actor, self.grids()),
            tasks=self.my_tasks() if may(g.actor, "follow_up_task", "view") else None,
            waiting=self.waiting(),
            cases=self.open_cases() if may(g.actor, "adverse_case", "edit") else None,
        )

    def sales(self) -> dict[str, Any] | None:
        """The owner's and supervisors' sales: this month against last, and a 12-week chart."""
        if not g.actor.has_any(SALES_READERS) or not may(g.actor, "sales_order", "view"):
            return None
        from rules import local_today
        from rules.reports import sales_summary

        summary = sales_summary(g.actor, local_today())
        summary["chart"] = bar_chart(summary["weeks"])
        return summary

    def open_cases(self) -> list[Any]:
        """Open adverse-reaction cases, oldest first, for people who close them (C1)."""
        from models import AdverseCase, Customer
        from rules.scope import visible

        query = (
            AdverseCase.select(AdverseCase, Customer)
            .join(Customer)
            .where(AdverseCase.closed_at.is_null())
            .order_by(AdverseCase.opened_at)
        )
        return list(visible(query, AdverseCase, g.actor).limit(20))

    def waiting(self) -> list[dict[str, Any]]:
        """Records waiting for a step this person owns, across every approval grid."""
        rows = []
        for view in self.admin._views:
            if view is not self and hasattr(view, "waiting") and view.is_accessible():
                rows.extend(view.waiting())
        return rows

    def my_tasks(self) -> list[Any]:
        """The person's ten most urgent open follow-up tasks (C2)."""
        from models import Customer, FollowUpTask
        from rules import local_today
        from rules.followups import priority_expr

        prio = priority_expr(FollowUpTask, local_today())
        return list(
            FollowUpTask.select(FollowUpTask, Customer, prio.alias("priority_now"))
            .join(Customer)
            .where((FollowUpTask.assignee == g.actor.id) & (FollowUpTask.status == "open"))
            .order_by(prio.desc(), FollowUpTask.due_on)
            .limit(10)
        )
