"""Saved views of a grid (issue 10 item 1): one person's filters, sort, page size, search and
visible columns under a name; the owner may share one with a role and make it that role's
default. Written through save() and the rules (rules/grid_views.py)."""

from __future__ import annotations

from typing import Any

from peewee import BooleanField, CharField, ForeignKeyField, IntegrityError, TextField

from models.base import BaseModel
from models.staff import Staff
from rules.i18n import gettext as _


class SavedView(BaseModel):
    """A named grid query of one person; `columns` is the comma-separated visible columns."""

    owner = ForeignKeyField(Staff, backref="saved_views", on_delete="CASCADE")
    grid = CharField(max_length=60)  # the grid's endpoint, e.g. "customer"
    name = CharField(max_length=60)
    query = TextField(default="")  # the grid's URL query (flt*, sort, desc, page_size, search)
    columns = TextField(default="")
    shared_role = CharField(max_length=40, default="")
    is_default = BooleanField(default=False)

    class Meta:
        table_name = "saved_view"
        indexes = (
            (("owner", "grid", "name"), True),
            (("grid", "shared_role"), False),
        )

    def __str__(self) -> str:
        return self.name

    def column_list(self) -> list[str]:
        return [c for c in self.columns.split(",") if c]

    def unique_message(self, error: IntegrityError) -> dict[str, list[str]]:
        return {"name": [_("You already have a view with this name on this grid.")]}

    @classmethod
    def visible_to(cls, actor: Any, grid: str) -> Any:
        """Views of `grid` that `actor` may open: their own and those shared with their roles."""
        mine = (cls.owner == actor.id) | cls.shared_role.in_(sorted(actor.roles) or [""])
        return cls.select().where((cls.grid == grid) & mine).order_by(cls.name)
