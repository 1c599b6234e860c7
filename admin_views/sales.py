"""Sales grid (B1-B6): sales intents with their lines, one bulk action per approval step for the
role that owns it, reject and cancel with a reason, discount approval and the vouchers."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from admin_views import state_label
from admin_views.approvals import ApprovalMixin
from admin_views.base import GuardedModelView
from admin_views.customer_links import CustomerIs, customer_link, customer_text
from admin_views.export_values import stored
from admin_views.order_form import customer_facts, page_settings, product_facts
from models import Customer, Location, SalesOrder, SalesOrderLine
from rules import settings
from rules.customers import customers_served_by
from rules.discounts import share_of_list
from rules.pickup import goods_out_where
from rules.printing import PRINTABLE
from rules.sales import approve_discount
from rules.search import order_search_clause
from rules.workflow import flow, has_mark

TABLE = "sales_order"

VOUCHERS = [
    ("sales_invoice", _l("Sales slip (not a tax invoice)")),
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
    "effective_discount": _l("Below list price"),
    "discount_flagged": _l("Discount over limit"),
    "discount_approved_by": _l("Discount approved by"),
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
    "payment_ref": _l("Payment reference"),
    "courier": _l("Courier"),
    "tracking_no": _l("Tracking number"),
    "store": _l("Store"),
    "pickup_location": _l("Pickup at"),
    "ship_from": _l("Ships from"),
    "created_at": _l("Created"),
    # an order line's fields that its inline form does not show, named in the audit trail
    "order": _l("Order no."),
    "list_price": _l("List price"),
}


def _status(view: Any, context: Any, model: Any, name: str) -> Markup:
    state = flow("sales_order").state(model.status)
    css = state.colour if state else "light"
    return Markup('<span class="badge badge-{}">{}</span>').format(css, state_label(model.status))


def _plain_status(view: Any, context: Any, model: Any, name: str) -> str:
    return state_label(model.status)


def _money(view: Any, context: Any, model: Any, name: str) -> str:
    value = getattr(model, name)
    return "" if value is None else f"¥{value:,.2f}"


class SalesOrderView(ApprovalMixin, GuardedModelView):
    column_list = (
        "number",
        "customer",
        "status",
        "total",
        "discount",
        "effective_discount",
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
    column_filters = (
        "status",
        "delivery",
        "discount_flagged",
        "created_at",
        "paid_at",
        CustomerIs(SalesOrder.customer),
    )
    column_default_sort = ("created_at", True)
    column_sortable_list = ("number", "created_at")
    column_formatters = {
        "status": _status,
        "customer": customer_link,
        "total": _money,
        "discount": _money,
        "effective_discount": _money,
        "subtotal": _money,
        "paid_amount": _money,
    }
    column_formatters_export = {
        "status": _plain_status,
        "customer": customer_text,
        **dict.fromkeys(
            ("total", "discount", "effective_discount", "subtotal", "paid_amount"), stored
        ),
    }
    column_choices = {
        "delivery": [("pickup", _l("Pickup")), ("express", _l("Express"))],
        "payment_method": [
            ("wechat", _l("WeChat Pay")),
            ("alipay", _l("Alipay")),
            ("cash", _l("Cash")),
            ("card", _l("Bank card")),
            ("transfer", _l("Bank transfer")),
        ],
    }
    details_template = "sales/details.html"
    list_template = "grid/workflow_list.html"
    form_columns = (
        "customer",
        "delivery",
        "pickup_location",
        "recipient",
        "recipient_phone",
        "address",
        "payment_method",
        "discount",
        "points_redeemed",
        "gifts",
        "note",
    )
    column_import_list = form_columns
    import_lookups = {"customer": (Customer, "phone"), "pickup_location": (Location, "code")}
    form_overrides = {"delivery": SelectField, "payment_method": SelectField}
    # type-ahead, scoped; the page learns the picked customer's points and address
    form_ajax_refs = {"customer": {"rows": customers_served_by, "facts": customer_facts}}
    create_template = "sales/create.html"
    edit_template = "sales/edit.html"
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
                "form_args": {
                    "product": {"label": _l("Product")},
                    "quantity": {"label": _l("Quantity")},
                    "unit_price": {"label": _l("Unit price")},
                    "is_gift": {"label": _l("Gift")},
                },
                "form_ajax_refs": {"product": {"facts": product_facts}},  # its list price
            },
        )
    ]

    def __init__(self, *args: Any, **kwargs: Any):
        for kind, label in VOUCHERS:
            self._add_print_action(kind, label)
        super().__init__(*args, **kwargs)

    def _add_print_action(self, kind: str, label: Any) -> None:
        self.add_action(
            f"print_{kind}",
            _l("Print: %(voucher)s", voucher=label),
            lambda ids: self.print_selected(kind, ids),
        )

    def _term_clause(self, term: str) -> Any:
        """Any part of the number (0008, 20261202, so-2026…), the customer's name or mobile."""
        return order_search_clause(SalesOrder, Customer, term)

    def search_placeholder(self) -> str | None:
        return _("Order no. (e.g. 0008) / customer name / mobile")

    def is_action_allowed(self, name: str) -> bool:
        if name == "approve_discount":
            return "finance" in g.actor.roles
        return super().is_action_allowed(name)

    def _limit_places(self, form: Any) -> Any:
        # B4: a few places, so a plain choice; empty = the customer's store, else HQ
        form.pickup_location.query = Location.select().where(Location.active).order_by(Location.id)
        form.pickup_location.blank_text = _("Default: the customer's store, else head office")
        return form

    def create_form(self, obj: Any = None) -> Any:
        # ?customer=<id> comes picked through PickerMixin.create_form (the customer page's verb)
        return self._limit_places(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._limit_places(super().edit_form(obj))

    def step_where(self, state: str) -> Any:
        """Store staff wait only for the pickups at their own store (B4, A5)."""
        return goods_out_where(self.model, g.actor) if has_mark(TABLE, state, "goods_out") else None

    @action("approve_discount", _l("Approve the discount"))
    def action_approve_discount(self, ids: list[str]) -> None:
        self.run_per_row(ids, approve_discount, _("Discount approved"))

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["vouchers"] = [
                (k, label) for k, label in VOUCHERS if PRINTABLE[k](kwargs["model"])
            ]
            kwargs["limit"] = settings().sales.discount_limit_percent
            kwargs["list_value"], kwargs["list_share"] = share_of_list(kwargs["model"])
        if template in (self.create_template, self.edit_template):
            kwargs["order_settings"] = page_settings()
        return super().render(template, **kwargs)

    @expose("/print/<kind>/")
    def print_view(self, kind: str) -> Any:
        """Print one voucher for the orders in ?ids= (the rules decide what may be printed)."""
        if kind not in dict(VOUCHERS):
            return self.inaccessible_callback("print")
        ids = [i for i in request.args.get("ids", "").split(",") if i.isdigit()]
        response = self.print_selected(kind, ids)
        return response or redirect(request.referrer or self.get_url(".index_view"))
