"""Keyboard and paste for every inline-editable grid (issue 10, item 3).

A block pasted from a spreadsheet reaches `/ajax/paste/` as a list of cells (row id, column,
text). Each cell goes through the same path as an inline edit: the row is fetched through the
row scope, only the person's editable columns are accepted, the text is converted by the list
form's field (choices by value or by label in either language, foreign keys by label or id
through their scoped picker: admin_views/fk_cells.py) and the row is saved through
`save()` and the rules. Each cell saves on its own (one savepoint per cell), so a refused cell
leaves nothing half-saved and the others still apply; every cell gets one result.
"""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify, request
from flask_admin import expose
from flask_admin.model.widgets import XEditableWidget
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import BooleanField, ForeignKeyField
from werkzeug.datastructures import MultiDict
from wtforms import SelectField

from admin_views.fk_cells import FkCellField, fk_cell_open, fk_list_fields
from rules import RuleViolation

MAX_CELLS = 500  # a pasted block larger than this is refused whole
LANGUAGES = ("en", "zh_CN")


def shown(value: Any) -> str:
    """A saved cell's value for the page's x-editable (yes/no as its "1"/"0")."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


class CellWidget(XEditableWidget):
    """An inline-edit cell; a choice cell's select starts on its stored value (not its label)."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        if isinstance(field, SelectField):
            kwargs.setdefault("data-value", "" if field.data is None else field.data)
        return super().__call__(field, **kwargs)


class PasteMixin:
    """Mixed into GuardedModelView: selects for choice cells and the paste endpoint."""

    def scaffold_list_form(self, widget: Any = None, validators: Any = None) -> Any:
        """Choice cells edit inline with a select of labels in the person's language."""
        args = {name: dict(spec) for name, spec in (validators or {}).items()}
        for name in self.column_editable_list or ():
            choices = (self.form_args or {}).get(name, {}).get("choices")
            if choices is not None and name in (self.form_overrides or {}):
                args.setdefault(name, {})["choices"] = choices
        form_class = super().scaffold_list_form(widget or CellWidget(), args or validators)
        return fk_list_fields(self, form_class)  # foreign keys: type-ahead cells

    def paste_columns(self) -> list[str]:
        """The columns a paste may write: editable in this grid, for a person who may edit; a
        foreign key only with its picker, for people who may see the picked table."""
        if not self.can_edit:
            return []
        fields = self.model._meta.fields
        return [
            n
            for n in self.column_editable_list or ()
            if n in fields and (not isinstance(fields[n], ForeignKeyField) or fk_cell_open(self, n))
        ]

    def is_editable(self, name: str) -> bool:
        """A cell opens inline only if this person may write it (a foreign key: see above)."""
        return name in self.paste_columns()

    def closed_columns(self, names: Any) -> list[str]:
        """Of the posted names, the editable columns this person may not write (inline edit)."""
        allowed = self.paste_columns()
        return [n for n in self.column_editable_list or () if n in names and n not in allowed]

    def _choice_value(self, name: str, text: str) -> str | None:
        """A choice's stored value from its value or its label in either language."""
        choices = (self.form_args or {}).get(name, {}).get("choices") or []
        for value, label in choices:
            if text == str(value):
                return str(value)
            for language in LANGUAGES:
                with force_locale(language):
                    if text.casefold() == str(label).strip().casefold():
                        return str(value)
        return None

    def _paste_cell(self, record: Any, name: str, text: str) -> str | None:
        """Write one cell; None when saved, else the reason (naming the field)."""
        label = str(self.get_column_name(name))
        if name not in self.paste_columns():
            return _("%(field)s cannot be changed here.", field=label)
        text = text.strip()
        if (self.form_args or {}).get(name, {}).get("choices") is not None:
            value = self._choice_value(name, text) if text else ""
            if value is None:
                return _(
                    "%(field)s: “%(value)s” is not one of the choices.", field=label, value=text
                )
            text = value
        if isinstance(self.model._meta.fields[name], BooleanField):
            flag = self._flag(text)
            if flag is None:
                return _("%(field)s: “%(value)s” is neither yes nor no.", field=label, value=text)
            setattr(record, name, flag)
            return self._save_cell(record)
        form = self._list_form_class(MultiDict({name: text}))
        field = form[name]
        if not field.validate(form):
            said = " ".join(str(e) for e in field.errors)
            return said if isinstance(field, FkCellField) else f"{label}: {said}"  # named
        field.populate_obj(record, name)
        if getattr(record, name) == "" and self.model._meta.fields[name].null:
            setattr(record, name, None)  # an emptied optional cell stores nothing
        return self._save_cell(record)

    @staticmethod
    def _flag(text: str) -> bool | None:
        """A yes/no cell from 1/0, true/false or Yes/No in either language."""
        words = {"1": True, "true": True, "0": False, "false": False, "": False}
        for language in LANGUAGES:
            with force_locale(language):
                words.update({_("Yes").casefold(): True, _("No").casefold(): False})
        return words.get(text.casefold())

    def _save_cell(self, record: Any) -> str | None:
        """Save through the rules (save() is its own savepoint); the refusal in words."""
        try:
            record.save()
        except RuleViolation as exc:
            return "; ".join(
                f"{'' if n == '__all__' else str(self.get_column_name(n)) + ': '}{m}"
                for n, ms in exc.errors.items()
                for m in ms
            )
        return None

    @expose("/ajax/paste/", methods=("POST",))
    def ajax_paste(self) -> Any:
        """Apply pasted cells: {"cells": [[row id, column, text], ...]} → one result each."""
        if not self.paste_columns():
            return jsonify(error=_("You may not edit this record.")), 403
        try:
            cells = json.loads(request.form.get("cells", ""))
            cells = [(str(i), str(n), str(t)) for i, n, t in cells]
        except (TypeError, ValueError):
            return jsonify(error=_("The pasted cells could not be read.")), 400
        if len(cells) > MAX_CELLS:
            return jsonify(error=_("Paste at most %(n)d cells at a time.", n=MAX_CELLS)), 400
        results = []
        rows: dict[str, Any] = {}
        for pk, name, text in cells:
            if pk not in rows:
                rows[pk] = self.get_one(pk)
            record = rows[pk]
            if record is None:
                reason = _("This record is outside your reach.")
            else:
                reason = self._paste_cell(record, name, text)
                if reason is not None:  # the stored row again: the refused value is dropped
                    rows[pk] = self.get_one(pk)
            stored = getattr(rows[pk], name, None) if reason is None else None
            results.append(
                {
                    "id": pk,
                    "field": name,
                    "ok": reason is None,
                    "message": reason or "",
                    "value": shown(stored),  # as saved (a mobile normalised)
                }
            )
        return jsonify(results=results, refused=sum(not r["ok"] for r in results))
