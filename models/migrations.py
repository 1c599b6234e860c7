"""Schema versions: ordered migrations so an owner's existing database survives upgrades.

Add a migration by appending (version, description, function) to MIGRATIONS. A function
receives a playhouse SchemaMigrator and must leave a database at the previous version
upgraded to its own; `migrate()` runs each pending one in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from peewee import CharField, DateTimeField, IntegerField, Model
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator

from models.audit import utcnow
from models.db import db, is_postgres, table_exists


class SchemaVersion(Model):
    """One applied migration."""

    version = IntegerField(primary_key=True)
    description = CharField(max_length=200)
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        table_name = "schema_version"


def _v1_initial(migrator: SchemaMigrator) -> None:
    from models import ALL_TABLES

    db.create_tables(ALL_TABLES, safe=True)


def _v2_customer_grid_indexes(migrator: SchemaMigrator) -> None:
    from models.customers import Customer

    Customer._schema.create_indexes(safe=True)


MIGRATIONS: list[tuple[int, str, Callable[[SchemaMigrator], None]]] = [
    (1, "initial schema: staff, locations, products, customers, audit log", _v1_initial),
    (2, "customer grid indexes: created_at, name, owner+store", _v2_customer_grid_indexes),
]
LATEST = MIGRATIONS[-1][0]


def current_version() -> int:
    """The highest applied version, 0 for an empty database."""
    if not table_exists("schema_version"):
        return 0
    row = SchemaVersion.select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def migrate() -> list[int]:
    """Apply every pending migration in order; return the versions applied."""
    db.create_tables([SchemaVersion], safe=True)
    migrator = PostgresqlMigrator(db.obj) if is_postgres() else SqliteMigrator(db.obj)
    done = current_version()
    applied = []
    for version, description, step in MIGRATIONS:
        if version <= done:
            continue
        with db.atomic():
            step(migrator)
            SchemaVersion.create(version=version, description=description)
        applied.append(version)
    return applied
