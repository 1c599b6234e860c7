"""Products grid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_views.base import GuardedModelView


class ProductView(GuardedModelView):
    column_list = ("sku", "name", "spec", "unit", "price", "active")
    column_searchable_list = ("name", "spec")
    column_search_prefix = ("sku",)
    column_filters = ("active", "price")
    column_editable_list = ("name", "spec", "price", "active")
    column_default_sort = "sku"
    column_labels = {
        "sku": _l("SKU"),
        "name": _l("Name"),
        "spec": _l("Specification"),
        "unit": _l("Unit"),
        "price": _l("Price"),
        "active": _l("Active"),
    }
    form_columns = ("sku", "name", "spec", "unit", "price", "active")
    column_import_list = form_columns
