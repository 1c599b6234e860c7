"""The data model. MODELS maps each table's config key to its class (validated against config)."""

from models.audit import AuditLog
from models.catalog import Product
from models.customers import Customer
from models.db import db
from models.staff import Location, Staff

GOVERNED = [Location, Staff, Product, Customer]
ALL_TABLES = [AuditLog, *GOVERNED]
MODELS = {m.model_key(): m for m in ALL_TABLES}

__all__ = ["AuditLog", "Customer", "Location", "MODELS", "Product", "Staff", "db"]
