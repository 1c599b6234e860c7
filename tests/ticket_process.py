"""A test-only process (issue 8, item 9): a model, its effects, and its workflow config.

Nothing here is found in production: rules/effects/ is the only package discovered there. A
test activates it with `create_app(overrides=CONFIG-merged, processes=("tests.ticket_process",))`.
The engine is not changed for it; README "Adding a process" walks through this file.
"""

from __future__ import annotations

from typing import Any

from peewee import CharField, ForeignKeyField, IntegerField

from models.base import BaseModel
from models.staff import Staff
from rules import register
from rules.step_lines import line_check
from rules.workflow import Step, effect, relies_on

TABLE = "ticket"


class Ticket(BaseModel):
    """1. The model: a `status` field and `has_workflow = True` (start-up then demands a
    [workflows.ticket] section)."""

    has_workflow = True
    title = CharField(max_length=80)
    status = CharField(max_length=20, default="open")
    created_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="RESTRICT")
    credits = IntegerField(default=0)

    def __str__(self) -> str:
        return self.title


class TicketLine(BaseModel):
    """A line of a ticket: what was sent, and at the `resolve` step what was received, with a
    reason for a difference (the per-line step form; process E's receiving, proven here)."""

    ticket = ForeignKeyField(Ticket, backref="lines", on_delete="CASCADE")
    item = CharField(max_length=80)
    sent = IntegerField()
    received = IntegerField(null=True)  # null: not counted yet (0 is "nothing arrived")
    reason = CharField(max_length=200, default="")

    def __str__(self) -> str:
        return self.item


MODELS = [Ticket, TicketLine]


# 2. Its rules: a governed table with no check and no row scope is refused at start-up. (In
# production they live in a module under rules/, found by walking the package.)
@register(TABLE)
def title_given(ticket: Any, action: str, old: Any, actor: Any) -> dict | None:
    if action != "delete" and not (ticket.title or "").strip():
        return {"title": ["A ticket needs a title."]}
    return None


@register("ticket_line")
def counts_given(line: Any, action: str, old: Any, actor: Any) -> dict | None:
    if action != "delete" and (line.sent or 0) <= 0:
        return {"sent": ["Send at least one."]}
    return None


# A per-line check by name (a transition's `lines.checks` names it; start-up refuses a typo).
@line_check("ticket_line", "not_more_than_sent")
def not_more_than_sent(ticket: Any, line: Any) -> dict[str, str] | None:
    if line.received is not None and line.received > line.sent:
        return {"received": f"more than the {line.sent} sent."}
    return None


# 3. Marks this process's code relies on (start-up refuses a workflow without them).
relies_on(TABLE, __name__, "resolved")


# 4. Effects, by name; `while_marked` + `reversed_by` declare what undoes them.
@effect(TABLE, "grant_credit", while_marked="resolved", reversed_by="take_credit")
def grant_credit(ticket: Any, step: Step) -> None:
    ticket.credits += 1


@effect(TABLE, "take_credit")
def take_credit(ticket: Any, step: Step) -> None:
    ticket.credits -= 1


def _state(name: str, en: str, zh: str, *marks: str) -> dict:
    return {"name": name, "label": {"en": en, "zh_CN": zh}, "marks": list(marks)}


def _label(en: str, zh: str) -> dict:
    return {"en": en, "zh_CN": zh}


LINES: dict[str, Any] = {
    "table": "ticket_line",
    "show": [{"field": "sent", "label": _label("Sent", "发出数量")}],
    "fields": [
        {"field": "received", "label": _label("Received", "实收数量")},
        {"field": "reason", "label": _label("Reason for a difference", "差异原因"),
         "required": False},
    ],
    "differences": [{"field": "received", "against": "sent", "reason": "reason"}],
    "checks": ["not_more_than_sent"],
}  # fmt: skip


# 5. The config block (in a real process: [permissions.ticket] and [workflows.ticket] in
# config.toml).
CONFIG: dict[str, Any] = {
    "permissions": {
        "ticket": {
            "view": ["owner", "warehouse", "finance"],
            "create": ["owner", "warehouse"],
            "edit": ["owner", "warehouse", "finance"],
        },
        "ticket_line": {
            "view": ["owner", "warehouse", "finance"],
            "create": ["owner", "warehouse"],
            "edit": ["owner", "warehouse"],
        },
    },
    "workflows": {
        "ticket": {
            "states": [
                _state("open", "Open", "待处理", "initial", "editable"),
                _state("checked", "Checked", "已核对"),
                _state("resolved", "Resolved", "已解决", "resolved"),
                _state("closed", "Closed", "已关闭", "resolved", "final"),
                _state("dropped", "Dropped", "已放弃", "final"),
            ],
            "transitions": [
                # a store clerk may both receive and confirm: self-approval per transition
                {"from": "open", "action": "check", "to": "checked",
                 "roles": ["warehouse"], "self_approval": True},
                # resolving counts each line: received (required), and a reason where it
                # differs from what was sent (the per-line step form)
                {"from": "checked", "action": "resolve", "to": "resolved",
                 "roles": ["finance"], "effects": ["grant_credit"], "lines": LINES},
                {"from": "resolved", "action": "close", "to": "closed", "roles": ["owner"]},
                # going back undoes going forward: reopening takes the credit back
                {"from": "resolved", "action": "reopen", "to": "checked",
                 "roles": ["finance"], "self_approval": True, "effects": ["take_credit"]},
                {"from": ["open", "checked"], "action": "drop", "to": "dropped",
                 "roles": ["creator", "owner"], "self_approval": True,
                 "reason_required": True},
            ],
        }
    },
}  # fmt: skip


def view() -> type:
    """6. The view: a grid with the workflow mixin; its record page, bulk menu and step
    endpoint come from the shared mechanism (admin_views/record_page.py, templates/grid/)."""
    from admin_views.approvals import ApprovalMixin
    from admin_views.base import GuardedModelView

    class TicketView(ApprovalMixin, GuardedModelView):
        column_list = ("title", "status", "credits")
        form_columns = ("title",)

    return TicketView
