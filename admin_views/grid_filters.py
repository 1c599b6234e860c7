"""Grid filters that are not a plain column test, so the home page can link to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_admin.contrib.peewee.filters import BasePeeweeFilter, FilterEmpty
from flask_admin.model.filters import BaseBooleanFilter
from flask_babel import lazy_gettext as _l

from models.audit import utcnow
from rules import settings
from rules.ownership import due_for_reclaim


class ReturnsSoonFilter(BasePeeweeFilter, BaseBooleanFilter):
    """Owned customers whose reclaim clock runs out within the warning days (A4), the ones
    the reclaim job warns about; "no" shows the others."""

    def apply(self, query: Any, value: Any) -> Any:
        model, now, cfg = self.column.model, utcnow(), settings().customers
        soon = due_for_reclaim(model, now, within_days=cfg.warn_days_before)
        if value != "1":
            return query.where(~soon)
        # implied by the rule (the strictest level's limit), and searchable by the clock index
        strictest = min(cfg.reclaim_days(level) for level in model.LEVELS)
        return query.where(
            soon & (model.clock_start <= now - timedelta(days=strictest - cfg.warn_days_before))
        )

    def operation(self) -> Any:
        return _l("within the warning days")


class OpenFilter(FilterEmpty):
    """A record still open: its closing time is empty ("yes") or set ("no")."""

    def operation(self) -> Any:
        return _l("still open")
