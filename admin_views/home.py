"""The home page: each role lands on its own work, never on a public index."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_views.guard import LoginGuard
from models.audit import AuditLog
from rules.permissions import may


class HomeView(LoginGuard, AdminIndexView):
    """Closed to anonymous users; shows the grids this person works in and their recent changes."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def work_cards(self) -> list[dict[str, Any]]:
        """One card per grid the person may open, with how many rows they can see."""
        cards = []
        for view in self.admin._views:
            if view is self or not hasattr(view, "get_count_query") or not view.is_accessible():
                continue
            cards.append(
                {
                    "name": view.name,
                    "category": view.category,
                    "url": url_for(f"{view.endpoint}.index_view"),
                    "count": view.get_count_query().scalar(),
                    "can_create": view.can_create,
                }
            )
        return cards

    @expose("/")
    def index(self) -> Any:
        recent = (
            AuditLog.select()
            .where(AuditLog.actor_id == g.actor.id)
            .order_by(AuditLog.at.desc())
            .limit(10)
        )
        return self.render(
            "home.html",
            staff=current_user.staff,
            cards=self.work_cards(),
            recent=list(recent),
            tasks=self.my_tasks() if may(g.actor, "follow_up_task", "view") else None,
            waiting=self.waiting(),
            cases=self.open_cases() if may(g.actor, "adverse_case", "edit") else None,
        )

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
