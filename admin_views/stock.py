"""The stock ledger grid (D1): posted movements, on-hand by their sum; lines never change."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from admin_views.base import GuardedModelView

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
        "note": _l("Note"),
    }
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
