"""The data model. MODELS maps each table's config key to its class (validated against config)."""

from models.adverse import AdverseCase
from models.audit import AuditLog
from models.bulk import BulkRun
from models.catalog import Product
from models.customers import Customer, OwnershipChange
from models.db import db
from models.export_log import ExportLog
from models.export_run import ExportRun
from models.followups import FollowUp, FollowUpTask
from models.grid_views import SavedView
from models.jobs import JobRun
from models.notifications import Notification
from models.points import PointsAccount, PointsEntry
from models.sales import SalesOrder, SalesOrderLine
from models.staff import Location, Staff
from models.stock import StockBalance, StockMove
from models.workflow import Transition

GOVERNED = [
    Location,
    Staff,
    Product,
    Customer,
    Notification,
    FollowUp,
    FollowUpTask,
    SalesOrder,
    SalesOrderLine,
    StockMove,
    AdverseCase,
    SavedView,
]
LEDGERS = [OwnershipChange, Transition, PointsAccount, PointsEntry, StockBalance, JobRun, BulkRun,
           ExportRun]  # fmt: skip
ALL_TABLES = [AuditLog, ExportLog, *GOVERNED, *LEDGERS]
MODELS = {m.model_key(): m for m in ALL_TABLES}

__all__ = [
    "AdverseCase",
    "AuditLog",
    "BulkRun",
    "Customer",
    "FollowUp",
    "FollowUpTask",
    "JobRun",
    "Location",
    "MODELS",
    "Notification",
    "OwnershipChange",
    "PointsAccount",
    "PointsEntry",
    "Product",
    "SalesOrder",
    "SalesOrderLine",
    "SavedView",
    "Staff",
    "StockBalance",
    "StockMove",
    "Transition",
    "ExportLog",
    "ExportRun",
    "db",
]
