"""Ways onto the customer page (客户360, issue 9 item 1): a customer's name in any grid links to
it, and its lists link back to the grids filtered for that customer."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request, url_for
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from admin_views.paste import CellWidget
from rules.permissions import may
from rules.pool_privacy import mask_phone, sees_whole_numbers
from rules.scope import visible


def page_url(customer_id: Any) -> str:
    """The customer page; the customer grid sends a pool customer on to the pool's page."""
    return url_for("customer.details_view", id=customer_id)


def name_link(view: Any, context: Any, model: Any, name: str) -> Any:
    """A customer grid's name cell: the name opens the customer page (plain on that page)."""
    if (request.endpoint or "").endswith(".details_view"):
        return model.name
    return Markup('<a class="mc-name" href="{}">{}</a>').format(
        view.get_url(".details_view", id=model.id), model.name
    )


def customer_link(view: Any, context: Any, model: Any, name: str) -> Any:
    """Another grid's customer cell (orders, follow-ups, tasks): opens the customer page for
    people who may see customers; plain text for the others (e.g. the warehouse)."""
    label = "" if model.customer_id is None else str(model.customer)
    if not label or not may(g.actor, "customer", "view"):
        return label
    return Markup('<a class="mc-name" href="{}">{}</a>').format(page_url(model.customer_id), label)


def customer_text(view: Any, context: Any, model: Any, name: str) -> str:
    """The export's plain value of a customer cell: the customer's name."""
    return "" if model.customer_id is None else str(model.customer)


customer_text.plain_column = True  # type: ignore[attr-defined]  # = the foreign key's label


class CustomerIs(FilterEqual):
    """ "Customer is …": what the customer page's "see all" links set. The chosen customer is
    named (not its id) when the person may see it."""

    def __init__(self, column: Any):
        super().__init__(column, _l("Customer"))

    def get_options(self, view: Any) -> Any:
        """Read per request (Flask-Admin keeps filter options from start-up)."""
        return _PerRequest(self._chosen)

    def _chosen(self) -> list[tuple[str, str]]:
        from models import Customer

        wanted = {v for v in request.args.values() if v.isdigit()} if request else set()
        if not wanted:
            return []
        rows = visible(Customer.select(), Customer, g.actor).where(Customer.id.in_(wanted))
        whole = sees_whole_numbers(g.actor)  # a pool customer's number stays masked (A4)
        return [
            (str(c.id), str(c) if whole or c.owner_id else f"{c.name} ({mask_phone(c.phone)})")
            for c in rows
        ]

    def validate(self, value: Any) -> bool:
        return str(value).isdigit()

    def operation(self) -> Any:
        return _l("is")


class _PerRequest:
    """Options computed when the filter bar is drawn, not when the grid is built."""

    def __init__(self, make: Any):
        self.make = make

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(self.make())


def filtered_grid(endpoint: str, customer_id: int) -> str | None:
    """The grid `endpoint` filtered for one customer, or None when it has no such filter or
    the person may not open it."""
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if getattr(view, "endpoint", None) != endpoint or not view.is_accessible():
                continue
            for index, flt in enumerate(view._filters or ()):
                if isinstance(flt, CustomerIs):
                    arg = "flt0_" + view.get_filter_arg(index, flt)
                    return url_for(f"{endpoint}.index_view", **{arg: customer_id})
    return None


class NameLinkWidget(CellWidget):
    """The name cell of an inline-editable customer grid: the name is a link to the customer
    page, and a small pencil beside it renames in place (the other cells edit on a click)."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        if field.name != "name":
            return super().__call__(field, **kwargs)
        link = kwargs.pop("display_value", "")
        kwargs.update(
            {
                "data-value": field.data or "",
                "data-display": "false",  # the pencil stays a pencil; the script renames the link
                "class": "mc-rename ml-1",
                "title": _("Rename"),
                "aria-label": _("Rename"),
            }
        )
        return Markup("{} {}").format(link, super().__call__(field, display_value="✎", **kwargs))
