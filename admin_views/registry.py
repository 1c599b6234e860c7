"""Every grid, registered once per create_app (views are never module-level objects)."""

from __future__ import annotations

from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from admin_views.adverse import AdverseCaseView
from admin_views.audit import AuditLogView
from admin_views.catalog import ProductView
from admin_views.custom_fields_page import CustomFieldsView
from admin_views.customers import CustomerView, PoolView
from admin_views.export_log import ExportLogView
from admin_views.followups import FollowUpView, TaskView
from admin_views.inbox import InboxView
from admin_views.jobs import JobRunView
from admin_views.reports import PerformanceView
from admin_views.sales import SalesOrderView
from admin_views.staff import LocationView, StaffView
from admin_views.stock import StockBalanceView, StockMoveView
from models import (
    AdverseCase,
    AuditLog,
    Customer,
    ExportLog,
    FollowUp,
    FollowUpTask,
    JobRun,
    Location,
    Notification,
    Product,
    SalesOrder,
    Staff,
    StockBalance,
    StockMove,
)


def add_views(admin: Admin) -> None:
    """Add the grids in menu order."""
    admin.add_view(TaskView(FollowUpTask, _l("My tasks"), endpoint="follow_up_task"))
    admin.add_view(
        CustomerView(Customer, _l("Customers"), category=_l("Customers"), endpoint="customer")
    )
    admin.add_view(
        PoolView(
            Customer,
            _l("Public pool"),
            category=_l("Customers"),
            endpoint="pool",
            url="/admin/pool",
        )
    )
    admin.add_view(
        FollowUpView(FollowUp, _l("Follow-ups"), category=_l("Customers"), endpoint="follow_up")
    )
    admin.add_view(
        AdverseCaseView(
            AdverseCase,
            _l("Adverse reactions"),
            category=_l("Customers"),
            endpoint="adverse_case",
        )
    )
    admin.add_view(
        SalesOrderView(SalesOrder, _l("Sales orders"), category=_l("Sales"), endpoint="sales_order")
    )
    admin.add_view(
        PerformanceView(
            _l("Performance"),
            category=_l("Sales"),
            endpoint="performance",
            url="/admin/performance",
        )
    )
    admin.add_view(
        StockMoveView(StockMove, _l("Stock ledger"), category=_l("Catalog"), endpoint="stock_move")
    )
    admin.add_view(
        StockBalanceView(
            StockBalance, _l("Stock on hand"), category=_l("Catalog"), endpoint="stock_balance"
        )
    )
    admin.add_view(ProductView(Product, _l("Products"), category=_l("Catalog"), endpoint="product"))
    admin.add_view(
        LocationView(
            Location, _l("Warehouses & stores"), category=_l("Catalog"), endpoint="location"
        )
    )
    admin.add_view(InboxView(Notification, _l("Inbox"), endpoint="notification"))
    admin.add_view(StaffView(Staff, _l("Staff"), category=_l("Settings"), endpoint="staff"))
    admin.add_view(
        AuditLogView(AuditLog, _l("Audit trail"), category=_l("Settings"), endpoint="audit_log")
    )
    admin.add_view(
        ExportLogView(ExportLog, _l("Exports"), category=_l("Settings"), endpoint="export_log")
    )
    admin.add_view(JobRunView(JobRun, _l("Job runs"), category=_l("Settings"), endpoint="job_run"))
    admin.add_view(
        CustomFieldsView(_l("Custom fields"), category=_l("Settings"), endpoint="custom_fields")
    )
