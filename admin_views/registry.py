"""Every grid, registered once per create_app (views are never module-level objects)."""

from __future__ import annotations

from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from admin_views.audit import AuditLogView
from admin_views.catalog import ProductView
from admin_views.customers import CustomerView
from admin_views.staff import LocationView, StaffView
from models import AuditLog, Customer, Location, Product, Staff


def add_views(admin: Admin) -> None:
    """Add the grids in menu order."""
    admin.add_view(
        CustomerView(Customer, _l("Customers"), category=_l("Customers"), endpoint="customer")
    )
    admin.add_view(ProductView(Product, _l("Products"), category=_l("Catalog"), endpoint="product"))
    admin.add_view(
        LocationView(
            Location, _l("Warehouses & stores"), category=_l("Catalog"), endpoint="location"
        )
    )
    admin.add_view(StaffView(Staff, _l("Staff"), category=_l("Settings"), endpoint="staff"))
    admin.add_view(
        AuditLogView(AuditLog, _l("Audit trail"), category=_l("Settings"), endpoint="audit_log")
    )
