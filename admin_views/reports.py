"""Reports: sales performance per person and period (A3), filterable and exportable."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, g, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from admin_views.export import record_export, safe_cell
from admin_views.guard import LoginGuard
from models import Location
from rules.permissions import may
from rules.reports import GRAINS, performance


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class PerformanceView(LoginGuard, BaseView):
    """Paid sales per owner (credit) or store salesperson, per day, month or year."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and may(g.actor, "sales_order", "view")

    def _rows(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        args = {
            "by": request.args.get("by", "owner"),
            "grain": request.args.get("grain", "month"),
            "start": _day(request.args.get("start")),
            "end": _day(request.args.get("end")),
            "store": request.args.get("store", type=int),
        }
        if args["by"] not in ("owner", "salesperson"):
            args["by"] = "owner"
        if args["grain"] not in GRAINS:
            args["grain"] = "month"
        rows = performance(
            g.actor, args["by"], args["grain"], args["start"], args["end"], args["store"]
        )
        return args, rows

    @expose("/")
    def index(self) -> Any:
        args, rows = self._rows()
        stores = list(Location.select().where(Location.kind == "store"))
        total = sum((r["amount"] or 0) for r in rows)
        return self.render(
            "reports/performance.html",
            args=args,
            rows=rows,
            stores=stores,
            total=total,
            grains=GRAINS,
        )

    @expose("/export.csv")
    def export(self) -> Any:
        if not may(g.actor, "sales_order", "export"):
            return self.inaccessible_callback("export")
        args, rows = self._rows()
        filters = [f"{key}={value}" for key, value in args.items() if value]
        record_export("performance", "sales_order", "csv", len(rows), filters=filters)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("Period"), _("Person"), _("Orders"), _("Amount")])
        for r in rows:
            writer.writerow(
                [safe_cell(r["period"]), safe_cell(r["person"]), r["orders"], f"{r['amount']:.2f}"]
            )
        return Response(
            "\ufeff" + out.getvalue(),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=performance.csv"},
        )
