"""The data model. MODELS maps each table's config key to its class (validated against config)."""

from models.audit import AuditLog
from models.catalog import Product
from models.customers import Customer, OwnershipChange
from models.db import db
from models.followups import FollowUp, FollowUpTask
from models.notifications import Notification
from models.staff import Location, Staff

GOVERNED = [Location, Staff, Product, Customer, Notification, FollowUp, FollowUpTask]
ALL_TABLES = [AuditLog, *GOVERNED, OwnershipChange]
MODELS = {m.model_key(): m for m in ALL_TABLES}

__all__ = [
    "AuditLog",
    "Customer",
    "FollowUp",
    "FollowUpTask",
    "Location",
    "MODELS",
    "Notification",
    "OwnershipChange",
    "Product",
    "Staff",
    "db",
]
