"""Grid filters that are not a plain column test, so the home page can link to them."""

from __future__ import annotations

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
        model = self.column.model
        soon = due_for_reclaim(model, utcnow(), within_days=settings().customers.warn_days_before)
        return query.where(soon if value == "1" else ~soon)

    def operation(self) -> Any:
        return _l("within the warning days")


class OpenFilter(FilterEmpty):
    """A record still open: its closing time is empty ("yes") or set ("no")."""

    def operation(self) -> Any:
        return _l("still open")
