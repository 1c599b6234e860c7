"""Follow-up service (C1, C2): logged follow-ups with the required survey, and the tasks that
remind each person whom to follow up next."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.audit import utcnow
from models.base import BaseModel
from models.customers import Customer
from models.staff import Staff


class FollowUp(BaseModel):
    """One completed follow-up with the survey every follow-up must answer (必须调查)."""

    customer = ForeignKeyField(Customer, backref="follow_ups", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, backref="follow_ups", on_delete="RESTRICT")
    at = DateTimeField(default=utcnow)
    users_count = IntegerField(null=True)  # 几人使用
    amount_per_person = CharField(max_length=60, null=True)  # 每人用量
    adverse_reaction = BooleanField(null=True)  # 不良反应
    adverse_details = TextField(default="")
    expectations = TextField(null=True)  # 期望
    estimated_end_on = DateField(null=True)  # 预估结束日期
    next_followup_on = DateField(null=True)  # 预估下次跟踪服务日期
    notes = TextField(default="")

    class Meta:
        indexes = ((("customer", "at"), False), (("staff", "at"), False), (("at",), False))

    def __str__(self) -> str:
        return f"#{self.id} {self.at:%Y-%m-%d}"  # not the customer's id, which read as its own

    def after_write(self, action: str) -> None:
        """Logging a follow-up restarts the reclaim clock and closes open tasks (A4, C2);
        a reported adverse reaction opens a case for the sales supervisor (C1)."""
        if action == "create":
            from rules.followups import followup_logged

            followup_logged(self)
        if action != "delete":
            from rules.adverse import open_case

            open_case(self)


TASK_REASONS = ("next_date", "ending_soon", "interval", "incomplete")


class FollowUpTask(BaseModel):
    """Someone should follow up a customer. Open tasks re-rank daily; overdue ones rise."""

    customer = ForeignKeyField(Customer, backref="tasks", on_delete="CASCADE")
    assignee = ForeignKeyField(Staff, backref="tasks", on_delete="CASCADE")
    reason = CharField(max_length=12)
    due_on = DateField()
    priority = IntegerField(default=0)
    status = CharField(max_length=6, default="open")
    done_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("assignee", "status", "priority"), False),
            (("status", "due_on"), False),  # the home page: open tasks due or overdue (see-all)
            (("customer", "status"), False),
            (("created_at",), False),  # the task job finds and audits the batch it created
        )

    def __str__(self) -> str:
        return f"{self.reason} {self.customer_id} {self.due_on}"
