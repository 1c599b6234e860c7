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


def _index(table: str, *columns: str) -> None:
    """CREATE INDEX IF NOT EXISTS, named as peewee names model indexes (so never twice)."""
    name = "_".join((table, *columns))
    db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({", ".join(columns)})')


def _v2_customer_grid_indexes(migrator: SchemaMigrator) -> None:
    _index("customer", "owner_id", "store_id")
    _index("customer", "created_at")
    _index("customer", "name")


def _v3_pool_and_followups(migrator: SchemaMigrator) -> None:
    from playhouse.migrate import migrate as run

    from models.customers import Customer, OwnershipChange
    from models.followups import FollowUp, FollowUpTask
    from models.notifications import Notification

    have = {c.name for c in db.get_columns("customer")}
    new = [
        "owner_since",
        "last_followup_at",
        "clock_start",
        "last_deal_at",
        "next_followup_on",
        "estimated_end_on",
        "previous_owner_id",
        "released_at",
        "warned_clock",
    ]
    fields = {f.column_name: f for f in Customer._meta.sorted_fields}
    for col in new:
        if col not in have:
            field = fields[col]
            index, field.index = field.index, False  # indexes are created below, by name
            try:
                run(migrator.add_column("customer", col, field))
            finally:
                field.index = index
    _index("customer", "previous_owner_id")
    _index("customer", "owner_id", "clock_start")
    _index("customer", "owner_id", "store_id", "created_at")
    db.create_tables([OwnershipChange, Notification, FollowUp, FollowUpTask], safe=True)


def _v4_sales_stock_points(migrator: SchemaMigrator) -> None:
    from models import (
        PointsAccount,
        PointsEntry,
        SalesOrder,
        SalesOrderLine,
        StockMove,
        Transition,
    )

    db.create_tables(
        [SalesOrder, SalesOrderLine, StockMove, Transition, PointsAccount, PointsEntry], safe=True
    )


def _v5_task_batch_index(migrator: SchemaMigrator) -> None:
    _index("follow_up_task", "created_at")


def _v6_incomplete_per_owner(migrator: SchemaMigrator) -> None:
    _index("customer", "owner_id", "incomplete")


def _v7_stock_balances_pickup(migrator: SchemaMigrator) -> None:
    """Balance rows beside the stock ledger, computed from it; pickup orders name their place."""
    from playhouse.migrate import migrate as run

    from models import SalesOrder, StockBalance
    from rules.stock import rebuild_balances

    db.create_tables([StockBalance], safe=True)
    rebuild_balances("schema 7: the ledger was below zero here; brought to 0, count it")
    if "pickup_location_id" not in {c.name for c in db.get_columns("sales_order")}:
        run(migrator.add_column("sales_order", "pickup_location_id", SalesOrder.pickup_location))
    # A pickup that already shipped left from ship_from; the others from the customer's store.
    db.execute_sql(
        "UPDATE sales_order SET pickup_location_id = COALESCE(ship_from_id, store_id) "
        "WHERE delivery = 'pickup' AND pickup_location_id IS NULL"
    )


def _v8_privacy_exports_adverse_cases(migrator: SchemaMigrator) -> None:
    from models import AdverseCase, ExportLog
    from rules.pool_privacy import LAST4_INDEX_SQL

    # The pool's last-4 search (rules/pool_privacy.py): an index on the expression itself,
    # so every write path and bulk insert keeps it current without a stored copy.
    db.execute_sql(
        f'CREATE INDEX IF NOT EXISTS "customer_phone_last4" ON "customer" (({LAST4_INDEX_SQL}))'
    )
    db.create_tables([ExportLog, AdverseCase], safe=True)


def _v9_sessions_and_job_log(migrator: SchemaMigrator) -> None:
    from models.jobs import JobRun

    _add_columns("staff", {"session_epoch": "INTEGER NOT NULL DEFAULT 0"})
    db.create_tables([JobRun], safe=True)


def _add_columns(table: str, columns: dict[str, str]) -> None:
    """ADD COLUMN each missing one (a new database has them already). Plain ALTER TABLE on
    both databases: peewee's SQLite migrator rebuilds the table for a NOT NULL column, and
    dropping the old table would cascade to the rows that refer to it."""
    have = {c.name for c in db.get_columns(table)}
    for name, ddl in columns.items():
        if name not in have:
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {ddl}')


def _v10_discount_below_list_and_effects(migrator: SchemaMigrator) -> None:
    """B3: each line keeps its list price, each order its whole discount below list price;
    the audit trail names the person a system effect was written for (A4 last deal)."""
    _add_columns("sales_order_line", {"list_price": "NUMERIC(12, 2)"})
    _add_columns("sales_order", {"effective_discount": "NUMERIC(12, 2) NOT NULL DEFAULT 0"})
    _add_columns(
        "audit_log",
        {
            "on_behalf_of": "VARCHAR(80) NOT NULL DEFAULT ''",
            "via": "VARCHAR(120) NOT NULL DEFAULT ''",
        },
    )
    db.execute_sql(
        "UPDATE sales_order_line SET list_price = (SELECT price FROM product"
        " WHERE product.id = sales_order_line.product_id) WHERE list_price IS NULL"
    )
    db.execute_sql(
        "UPDATE sales_order SET effective_discount = discount + COALESCE((SELECT"
        " SUM(l.quantity * (CASE WHEN l.list_price > l.unit_price"
        " THEN l.list_price - l.unit_price ELSE 0 END))"
        " FROM sales_order_line l WHERE l.order_id = sales_order.id), 0)"
    )


def _v11_grid_sort_and_scope_indexes(migrator: SchemaMigrator) -> None:
    """Each grid's default sort walks an index under a LIMIT (see-all roles), and each row
    scope searches an index that starts with its column, in sort order (store staff)."""
    _index("customer", "store_id", "created_at", "owner_id")
    _index("customer", "owner_id", "phone")
    _index("customer", "store_id", "phone")
    _index("sales_order", "created_at")
    _index("sales_order", "store_id", "created_at")
    _index("follow_up", "at")
    _index("stock_move", "at")
    _index("notification", "recipient_id", "created_at")
    _index("adverse_case", "opened_at")


def _v12_bulk_runs(migrator: SchemaMigrator) -> None:
    """Bulk runs of transitions with effects, as jobs with progress (issue 8 item 8)."""
    from models.bulk import BulkRun

    db.create_tables([BulkRun], safe=True)


def _v13_step_forms(migrator: SchemaMigrator) -> None:
    """Issue 8 item 5: what finance and the warehouse fill in at their step (step forms)."""
    _add_columns(
        "sales_order",
        {
            "payment_ref": "VARCHAR(60) NOT NULL DEFAULT ''",
            "courier": "VARCHAR(40) NOT NULL DEFAULT ''",
            "tracking_no": "VARCHAR(40) NOT NULL DEFAULT ''",
        },
    )


def _v14_search_and_filter_indexes(migrator: SchemaMigrator) -> None:
    """Issue 9 item 2: what people type and filter by, each answered from an index. The last 4
    digits of a phone within one salesperson's or one store's customers, WeChat IDs, an order
    number's daily sequence (its last 4 characters) newest first, and the salesperson filters."""
    from rules.pool_privacy import LAST4_INDEX_SQL
    from rules.search import ORDER_TAIL_INDEX_SQL

    for name, table, columns in (
        ("customer_owner_phone_last4", "customer", f"owner_id, ({LAST4_INDEX_SQL})"),
        ("customer_store_phone_last4", "customer", f"store_id, ({LAST4_INDEX_SQL})"),
        ("sales_order_number_tail", "sales_order", f"({ORDER_TAIL_INDEX_SQL}), created_at"),
    ):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')
    _index("customer", "wechat")
    _index("customer", "salesperson_id", "created_at")
    _index("sales_order", "credit_salesperson_id", "created_at")


def _v15_bulk_run_heartbeat(migrator: SchemaMigrator) -> None:
    """A bulk run's heartbeat: a run whose worker died is shown stalled, with Resume."""
    _add_columns("bulk_run", {"beat_at": "TIMESTAMP NULL"})


def _v16_home_page_indexes(migrator: SchemaMigrator) -> None:
    """The home page's numbers and activity search an index on big tables (issue 9 item 7):
    sales paid in a period (covering the sum), open tasks by due date, recent audit and step
    rows, and a person's own."""
    _index("sales_order", "paid_at", "status", "total")
    _index("customer", "clock_start")
    _index("follow_up_task", "status", "due_on")
    _index("audit_log", "actor_id", "at")
    _index("transition", "at")
    _index("transition", "by_id", "at")


def _v17_saved_views(migrator: SchemaMigrator) -> None:
    """Issue 10 item 1: saved views of the grids (one person's, or shared with a role)."""
    from models.grid_views import SavedView

    db.create_tables([SavedView], safe=True)


def _v18_custom_fields(migrator: SchemaMigrator) -> None:
    from models.custom_fields import CustomField, CustomFieldVersion

    db.create_tables([CustomField, CustomFieldVersion], safe=True)


def _v19_export_runs(migrator: SchemaMigrator) -> None:
    """Issue 10 item 5: exports too large for a request, written by a job (progress, file)."""
    from models.export_run import ExportRun

    db.create_tables([ExportRun], safe=True)


MIGRATIONS: list[tuple[int, str, Callable[[SchemaMigrator], None]]] = [
    (1, "initial schema: staff, locations, products, customers, audit log", _v1_initial),
    (2, "customer grid indexes: created_at, name, owner+store", _v2_customer_grid_indexes),
    (3, "public pool, reclaim clock, follow-ups, tasks, inbox", _v3_pool_and_followups),
    (4, "sales orders, stock ledger, member points, transitions", _v4_sales_stock_points),
    (5, "index follow-up tasks by creation (the task job's batch)", _v5_task_batch_index),
    (6, "index customers to complete per owner", _v6_incomplete_per_owner),
    (7, "stock balances beside the ledger; pickup location", _v7_stock_balances_pickup),
    (
        8,
        "pool last-4 phone index, export log, adverse-reaction cases",
        _v8_privacy_exports_adverse_cases,
    ),
    (9, "session epoch per person (logout ends sessions); job run log", _v9_sessions_and_job_log),
    (
        10,
        "discount below list price (line list prices); audit names whom an effect served",
        _v10_discount_below_list_and_effects,
    ),
    (11, "index each grid's sort and store scope", _v11_grid_sort_and_scope_indexes),
    (12, "bulk runs: a step with effects on many records, as a job", _v12_bulk_runs),
    (13, "step forms: payment reference, courier and tracking number", _v13_step_forms),
    (14, "search: last 4 digits in scope, WeChat, order sequence", _v14_search_and_filter_indexes),
    (
        15,
        "bulk runs: a heartbeat per batch, so a dead worker's run can be resumed",
        _v15_bulk_run_heartbeat,
    ),  # fmt: skip
    (16, "home page: indexes for its numbers, sales and recent activity", _v16_home_page_indexes),
    (17, "saved views of the grids, shared with a role or a role's default", _v17_saved_views),
    (18, "custom fields: their definitions and a version token", _v18_custom_fields),
    (19, "export runs: an export too large for a request, as a job", _v19_export_runs),
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
    done = current_version()
    applied = []
    for version, description, step in MIGRATIONS:
        if version <= done:
            continue
        with db.atomic():
            run_step(step)
            SchemaVersion.create(version=version, description=description)
        applied.append(version)
    return applied


def run_step(step: Callable[[SchemaMigrator], None]) -> None:
    """Run one migration function with this database's migrator (tests re-run one step)."""
    step(PostgresqlMigrator(db.obj) if is_postgres() else SqliteMigrator(db.obj))
