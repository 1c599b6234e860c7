"""Each record's details page shows its audit history, with labels and names resolved."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import g
from flask_babel import gettext as _

from admin_views import localtime
from admin_views.i18n_extra import key_text
from models.audit import AuditLog
from models.base import fk_columns
from models.staff import Staff

# Bookkeeping, not business data: never listed in a history or the audit trail.
AUDIT_HIDDEN = {"id", "created_at", "updated_at", "version", "warned_clock", *Staff.BOOKKEEPING}
WORKFLOW_STATE = "status"  # the approval workflow's field (rules/approval.py)
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def display_name(username: str) -> str:
    """A person as others know them (王大明, not owner): the staff table is small, so every
    name is read once per request; a deleted account keeps its username."""
    if "display_names" not in g:
        people = Staff.select(Staff.username, Staff.display_name).tuples()
        g.display_names = {user: name or user for user, name in people}
    return g.display_names.get(username, username)


def actor_label(entry: AuditLog) -> str:
    """Who made a change, by name; the system named in the person's language."""
    return _("System") if entry.actor_name == "system" else display_name(entry.actor_name)


def shown_changes(entry: AuditLog) -> list[tuple[str, Any, Any]]:
    """The fields a person reads in one audit row: bookkeeping left out, and a created (or
    deleted) record listed by the values it was given (or had), not by empty ones."""
    return [
        (name, old, new)
        for name, (old, new) in entry.change_dict.items()
        if name not in AUDIT_HIDDEN
        and (old, new) != (None, None)
        and not (entry.action == "create" and new in (None, "", False))
        and not (entry.action == "delete" and old in (None, "", False))
    ]


def who(entry: AuditLog) -> str:
    """Who made a change; a system effect also names whom and which step it served."""
    from admin_views import state_label

    name = actor_label(entry)
    if not entry.on_behalf_of:
        return name
    table, state, record = entry.via_parts
    return _(
        "%(actor)s, for %(person)s (%(table)s %(record)s: %(step)s)",
        actor=name,
        person=display_name(entry.on_behalf_of),
        table=key_text(table),
        record=record,
        step=state_label(state, table),
    )


def names_of(model: Any, entries: list[AuditLog]) -> dict[str, dict[Any, str]]:
    """Per foreign key of `model`, the names of the records these audit rows mention (王大明,
    南京西路专卖店, not #2): one query per key."""
    fks = {f.name: f.rel_model for f in fk_columns(model)}
    wanted: dict[str, set] = {name: set() for name in fks}
    for entry in entries:
        for name, *pair in shown_changes(entry):
            if name in fks:
                wanted[name].update(v for v in pair if v is not None)
    return {name: _names(fks[name], ids) for name, ids in wanted.items() if ids}


def _names(model: Any, ids: set) -> dict[Any, str]:
    """id -> name of these records, reading only the columns a name needs (`label_fields`:
    never a person's password hash)."""
    pk = model._meta.primary_key
    label = [getattr(model, f) for f in getattr(model, "label_fields", ())]
    rows = model.select(pk, *label) if label else model.select()
    return {r.get_id(): str(r) for r in rows.where(pk.in_(list(ids)))}


class HistoryMixin:
    """Adds `history` to the details template context."""

    # A stored value that needs more than a label lookup, as a person reads it: e.g. a staff
    # member's roles (role keys -> their configured labels). {field: value -> text}
    history_formatters: dict[str, Any] = {}

    # -- details: each record shows its history -------------------------------------------
    def _display(self, name: str, value: Any, names: dict[str, dict[Any, str]]) -> str:
        """A stored value as a person reads it: names, choice labels, local times, yes/no."""
        if value is None or value == "":
            return ""
        if name in names:
            return names[name].get(value, f"#{value}")
        if name in self.history_formatters:
            return self.history_formatters[name](value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if name == WORKFLOW_STATE:
            from admin_views import state_label

            return state_label(value, self.model_key)  # this table's own workflow
        if isinstance(value, str) and ISO_TIME.match(value):
            return localtime(datetime.fromisoformat(value.replace(" ", "T")))
        choices = dict((self.column_choices or {}).get(name, ()))
        return str(choices.get(value, value))

    def history(self, record: Any) -> list[tuple[AuditLog, list[tuple[str, str, str]]]]:
        """Audit rows of `record`, newest first, with labels and related names resolved."""
        entries = AuditLog.history(self.model_key, record.get_id())
        names = names_of(self.model, entries)
        return [
            (
                entry,
                [
                    (
                        str(self.get_column_name(name)),
                        self._display(name, old, names),
                        self._display(name, new, names),
                    )
                    for name, old, new in shown_changes(entry)
                ],
            )
            for entry in entries
        ]

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["history"] = self.history(kwargs["model"])
            kwargs["who"] = who
        return super().render(template, **kwargs)
