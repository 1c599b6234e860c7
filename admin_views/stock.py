"""The stock grids (D1, B4): the ledger of posted movements (lines never change), and the
on-hand balance per product and location beside it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from admin_views.base import GuardedModelView
from admin_views.i18n_extra import key_text

KINDS = [
    ("inbound", _l("Inbound")),
    ("outbound", _l("Outbound")),
    ("transfer_out", _l("Transfer out")),
    ("transfer_in", _l("Transfer in")),
    ("sale_outbound", _l("Sale outbound")),
    ("gift", _l("Gift")),
    ("redemption", _l("Redemption")),
    ("adjustment", _l("Stocktake adjustment")),
]

# StockMove.source is "<table>:<id>" (e.g. "sales_order:12"): shown as the document's name.


def source_text(source: str) -> str:
    """ "sales_order:12" as a person reads it: "Sales order #12"."""
    table, _sep, record = (source or "").partition(":")
    return f"{key_text(table)} #{record}" if record else source or ""


def source_document(view: Any, context: Any, model: Any, name: str) -> str:
    return source_text(model.source)


class StockMoveView(GuardedModelView):
    column_list = ("at", "kind", "product", "location", "quantity", "source", "note")
    column_joins = ("product", "location")
    column_labels = {
        "at": _l("When"),
        "kind": _l("Kind"),
        "product": _l("Product"),
        "location": _l("Location"),
        "quantity": _l("Quantity"),
        "source": _l("Source"),
        "source_line": _l("Order line"),
        "note": _l("Note"),
    }
    column_formatters = {"source": source_document}
    column_choices = {"kind": KINDS}
    column_filters = ("kind", "at")
    column_search_prefix = ("source",)
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)
    form_columns = ("kind", "product", "location", "quantity", "note")
    form_overrides = {"kind": SelectField}
    form_ajax_refs = {"product": {}}  # type-ahead
    form_args = {"kind": {"choices": KINDS[:2]}}
    never = frozenset({"edit", "delete"})

    def _display(self, name: str, value: Any, names: dict) -> str:
        """History and the audit trail name the source document as the grid does."""
        if name == "source" and value:
            return source_text(value)
        return super()._display(name, value, names)


class StockBalanceView(GuardedModelView):
    """On-hand stock per product and location (B4): the balance rows beside the ledger.

    Read-only; store staff see their own store's rows (rules/stock.py scope).
    """

    column_list = ("location", "product", "on_hand")
    column_joins = ("location", "product")
    column_labels = {
        "location": _l("Location"),
        "product": _l("Product"),
        "on_hand": _l("On hand"),
    }
    column_filters = ("on_hand",)
    column_default_sort = [("location", False), ("product", False)]
    column_sortable_list = ("location", "product", "on_hand")
    never = frozenset({"create", "edit", "delete"})

    def scaffold_form(self) -> Any:
        return super(GuardedModelView, self).scaffold_form()
