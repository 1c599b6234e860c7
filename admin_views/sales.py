"""Sales grid (B1-B6): sales intents with their lines, one bulk action per approval step for the
role that owns it, reject and cancel with a reason, discount approval and the vouchers."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from admin_views.base import GuardedModelView
from models import Customer, SalesOrder, SalesOrderLine, Transition
from rules import RuleViolation, settings
from rules.approval import approve, bulk_approve, cancel, on_enter, reject, steps
from rules.sales import approve_discount
from rules.scope import visible

STATUS_CSS = {
    "draft": "secondary",
    "submitted": "info",
    "verified": "primary",
    "paid": "warning",
    "shipped": "success",
    "cancelled": "dark",
}
VOUCHERS = [
    ("sales_invoice", _l("Sales invoice")),
    ("sales_receipt", _l("Sales receipt")),
    ("payment_receipt", _l("Payment receipt")),
    ("pickup_voucher", _l("Pickup voucher")),
    ("express_waybill", _l("Express waybill")),
    ("points_slip", _l("Points slip")),
]
LABELS = {
    "number": _l("Order no."),
    "customer": _l("Customer"),
    "status": _l("Status"),
    "total": _l("Total"),
    "subtotal": _l("Subtotal"),
    "discount": _l("Discount"),
    "discount_flagged": _l("Discount over limit"),
    "credit_owner": _l("Owner (credit)"),
    "credit_salesperson": _l("Store salesperson"),
    "created_by": _l("Entered by"),
    "delivery": _l("Delivery"),
    "recipient": _l("Recipient"),
    "recipient_phone": _l("Phone"),
    "address": _l("Address"),
    "payment_method": _l("Payment method"),
    "points_redeemed": _l("Points redeemed"),
    "points_earned": _l("Points earned"),
    "gifts": _l("Gifts"),
    "note": _l("Note"),
    "submitted_at": _l("Submitted"),
    "paid_at": _l("Paid"),
    "shipped_at": _l("Shipped"),
    "paid_amount": _l("Paid amount"),
    "store": _l("Store"),
    "ship_from": _l("Ships from"),
    "created_at": _l("Created"),
}


def _status(view: Any, context: Any, model: Any, name: str) -> Markup:
    css = STATUS_CSS.get(model.status, "light")
    return Markup('<span class="badge badge-{}">{}</span>').format(css, _(model.status))


def _money(view: Any, context: Any, model: Any, name: str) -> str:
    value = getattr(model, name)
    return "" if value is None else f"¥{value:,.2f}"


class SalesOrderView(GuardedModelView):
    column_list = (
        "number",
        "customer",
        "status",
        "total",
        "discount",
        "discount_flagged",
        "credit_owner",
        "created_by",
        "delivery",
        "submitted_at",
        "paid_at",
    )
    column_joins = ("customer", "credit_owner", "created_by")
    column_labels = LABELS
    column_search_prefix = ("number",)
    column_filters = ("status", "delivery", "discount_flagged", "created_at", "paid_at")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("number", "created_at")
    column_formatters = {
        "status": _status,
        "total": _money,
        "discount": _money,
        "subtotal": _money,
        "paid_amount": _money,
    }
    column_choices = {"delivery": [("pickup", _l("Pickup")), ("express", _l("Express"))]}
    details_template = "sales/details.html"
    list_template = "sales/list.html"
    form_columns = (
        "customer",
        "delivery",
        "recipient",
        "recipient_phone",
        "address",
        "payment_method",
        "discount",
        "points_redeemed",
        "gifts",
        "note",
    )
    form_overrides = {"delivery": SelectField, "payment_method": SelectField}
    form_args = {
        "delivery": {"choices": [("pickup", _l("Pickup")), ("express", _l("Express"))]},
        "payment_method": {
            "choices": [
                ("wechat", _l("WeChat Pay")),
                ("alipay", _l("Alipay")),
                ("cash", _l("Cash")),
                ("card", _l("Bank card")),
                ("transfer", _l("Bank transfer")),
            ]
        },
    }
    inline_models = [
        (
            SalesOrderLine,
            {
                "form_columns": ["id", "product", "quantity", "unit_price", "is_gift"],
                "form_label": _l("Lines"),
            },
        )
    ]

    def __init__(self, *args: Any, **kwargs: Any):
        for step in steps("sales_order"):
            self._add_step_action(step.state)
        for kind, label in VOUCHERS:
            self._add_print_action(kind, label)
        super().__init__(*args, **kwargs)

    def _add_print_action(self, kind: str, label: Any) -> None:
        def handler(ids: list[str]) -> Any:
            return self.print_selected(kind, ids)

        handler._action = (f"print_{kind}", _l("Print: %(voucher)s", voucher=label), None)
        setattr(self, f"action_print_{kind}", handler)

    def _add_step_action(self, state: str) -> None:
        def handler(ids: list[str]) -> Any:
            return self.approve_selected(ids, state)

        handler._action = (f"to_{state}", _l("Approve: %(step)s", step=_l(state)), None)
        setattr(self, f"action_to_{state}", handler)

    def is_action_allowed(self, name: str) -> bool:
        if name.startswith("to_"):
            step = next((s for s in steps("sales_order") if s.state == name[3:]), None)
            return step is not None and g.actor.has_any(set(step.by))
        if name == "approve_discount":
            return "finance" in g.actor.roles
        if name in ("reject", "cancel"):
            return self.can_edit
        return super().is_action_allowed(name)

    def _limit_customers(self, form: Any) -> Any:
        query = visible(Customer.select(), Customer, g.actor).where(Customer.owner.is_null(False))
        if "owner" not in g.actor.roles:
            mine = Customer.owner == g.actor.id
            if g.actor.store_id:
                mine = mine | (Customer.store == g.actor.store_id)
            query = query.where(mine)
        form.customer.query = query.order_by(Customer.name)
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._limit_customers(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._limit_customers(super().edit_form(obj))

    # -- approval ---------------------------------------------------------------------------
    def approve_selected(self, ids: list[str], state: str) -> None:
        """Set-based for steps without side effects; one verb per row for the others."""
        if on_enter.get("sales_order", {}).get(state):
            self.run_per_row(ids, lambda row: self._approve_to(row, state), _(state))
            return
        try:
            moved = bulk_approve(
                SalesOrder, SalesOrder.id.in_(ids), state, request.form.get("note", "")
            )
        except RuleViolation as exc:
            flash(exc.message(), "error")
            return
        flash(
            _(
                "%(action)s: %(ok)d of %(total)d selected records done.",
                action=_(state),
                ok=moved,
                total=len(set(ids)),
            ),
            "success" if moved else "info",
        )
        self._explain_leftovers(ids, state)

    def _approve_to(self, row: Any, state: str) -> None:
        prev = [s.state for s in steps("sales_order")]
        before = "draft" if prev.index(state) == 0 else prev[prev.index(state) - 1]
        if row.status != before:
            raise RuleViolation(
                _(
                    "%(record)s is %(state)s, not %(before)s.",
                    record=str(row),
                    state=_(row.status),
                    before=_(before),
                )
            )
        approve(row, request.form.get("note", ""))

    def _explain_leftovers(self, ids: list[str], state: str) -> None:
        """One line per selected order that did not move, saying why (first 50)."""
        order = ["draft", *(s.state for s in steps("sales_order"))]
        before = order[order.index(state) - 1]
        left = self.selected(ids)
        for row in [r for r in left if r.status != state][:50]:
            if row.status != before:
                why = _("it is %(state)s", state=_(row.status))
            elif row.created_by_id == g.actor.id:
                why = _("you submitted it, so someone else must approve it")
            else:
                why = _("refused")
            flash(f"{row}: {why}", "error")

    def my_steps(self) -> list[str]:
        """The approval steps the current person may take (for the list page's buttons)."""
        return [s.state for s in steps("sales_order")[1:] if g.actor.has_any(set(s.by))]

    @expose("/approve_matching/", methods=("POST",))
    def approve_matching_view(self) -> Any:
        """Approve every order that matches the list's current search and filters."""
        state = request.form.get("step", "")
        if state not in self.my_steps():
            return self.inaccessible_callback("approve_matching")
        args = self._get_list_extra_args()
        _count, query = self.get_list(
            0, None, False, args.search, args.filters, execute=False, page_size=0
        )
        matching = SalesOrder.id.in_(query.select(SalesOrder.id))
        if on_enter.get("sales_order", {}).get(state):
            ids = [str(r.id) for r in SalesOrder.select(SalesOrder.id).where(matching).limit(500)]
            self.approve_selected(ids, state)
        else:
            try:
                moved = bulk_approve(SalesOrder, matching, state, request.form.get("note", ""))
                flash(
                    _("%(action)s: %(ok)d matching orders done.", action=_(state), ok=moved),
                    "success" if moved else "info",
                )
            except RuleViolation as exc:
                flash(exc.message(), "error")
        return redirect(self.get_url(".index_view", **request.args))

    @action("submit", _l("Submit"))
    def action_submit(self, ids: list[str]) -> None:
        self.run_per_row(ids, lambda row: self._approve_to(row, "submitted"), _("Submitted"))

    @action("approve_discount", _l("Approve the discount"))
    def action_approve_discount(self, ids: list[str]) -> None:
        self.run_per_row(ids, approve_discount, _("Discount approved"))

    @action("reject", _l("Reject to draft…"))
    def action_reject(self, ids: list[str]) -> Any:
        return redirect(url_for(".reason_view", verb="reject", ids=",".join(ids)))

    @action("cancel", _l("Cancel…"))
    def action_cancel(self, ids: list[str]) -> Any:
        return redirect(url_for(".reason_view", verb="cancel", ids=",".join(ids)))

    @expose("/reason/", methods=("GET", "POST"))
    def reason_view(self) -> Any:
        """Reject or cancel the selected orders with a reason that is kept in their history."""
        verb = request.values.get("verb")
        if verb not in ("reject", "cancel") or not self.can_edit:
            return self.inaccessible_callback("reason")
        ids = [i for i in request.values.get("ids", "").split(",") if i.isdigit()]
        if request.method == "POST":
            reason = request.form.get("reason", "").strip()
            if not reason:
                flash(_("Give a reason."), "error")
            else:
                fn = reject if verb == "reject" else cancel
                done = _("Rejected") if verb == "reject" else _("Cancelled")
                self.run_per_row(ids, lambda row: fn(row, reason), done)
                return redirect(self.get_url(".index_view"))
        return self.render(
            "sales/reason.html", rows=self.selected(ids), verb=verb, ids=",".join(ids)
        )

    # -- vouchers ---------------------------------------------------------------------------
    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["transitions"] = Transition.history("sales_order", kwargs["model"].id)
            kwargs["vouchers"] = VOUCHERS
            kwargs["limit"] = settings().sales.discount_limit_percent
        return super().render(template, **kwargs)

    @expose("/print/<kind>/")
    def print_view(self, kind: str) -> Any:
        """Print one voucher for the orders in ?ids= (the rules decide what may be printed)."""
        if kind not in dict(VOUCHERS):
            return self.inaccessible_callback("print")
        ids = [i for i in request.args.get("ids", "").split(",") if i.isdigit()]
        response = self.print_selected(kind, ids)
        return response or redirect(request.referrer or self.get_url(".index_view"))
