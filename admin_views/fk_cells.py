"""Foreign-key cells edited inline with the type-ahead lookup (issue 10, item 3).

A grid opens a foreign key inline by naming it in `column_editable_list` AND declaring its
picker in `form_ajax_refs` (the scoped loader of admin_views/pickers.py): a key without a
picker stays closed, so no cell ever lists a whole table. The cell's editor types into the
grid's own `…/ajax/lookup/` (static/grid_keys.js); inline edit and paste post text, which is
read as the related row's exact label within the person's scope for that table (as the
lookup offers it), else as its id through the same scoped loader. Unknown, ambiguous and
out-of-scope values are refused with a message naming the field and the text; the row is then
saved through `save()` and the rules like any other cell.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_admin.helpers import get_url
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from rules.permissions import may


def resolve(loader: Any, text: str) -> tuple[Any, str | None]:
    """(row, None) for the row the text names in the person's scope, else (None, why)."""
    search = loader.search
    if search.labelled is not None:
        rows = loader.rows()
        if search.offered is not None:
            rows = rows.where(search.offered(loader.model))
        found = list(rows.where(search.labelled(loader.model, text)).limit(2))
        if len(found) > 1:
            return None, "ambiguous"
        if found:
            return found[0], None
    # An id: ASCII digits that fit the column (PostgreSQL refuses a larger integer); found
    # through the scoped loader, so a crafted id outside the person's scope is no row.
    row = loader.get_one(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
    return (row, None) if row is not None else (None, "unknown")


class FkCellWidget:
    """The x-editable link of a foreign-key cell: its text is the row's label; the editor
    searches `data-lookup` as the person types (static/grid_keys.js)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        shown = kwargs.pop("display_value", "")
        label = "" if field.data is None else str(field.data)
        attrs = {
            "id": field.id,
            "name": field.name,
            "href": "#",
            "data-role": "x-editable-fk",
            "data-type": "text",
            "data-url": "./ajax/update/",
            "data-pk": str(kwargs.pop("pk")),
            "data-csrf": kwargs.pop("csrf", ""),
            "data-value": label,
            "data-lookup": get_url(".ajax_lookup", name=field.loader.name),
            "data-placeholder": str(field.loader.options["placeholder"]),
            "data-empty": _("(none)"),
            "data-nothing": _("No match"),
        }
        return Markup(f"<a {html_params(**attrs)}>{escape(shown or label)}</a>")


class FkCellField(Field):
    """One foreign-key cell of the list form: text in (a label or an id), a row out."""

    widget = FkCellWidget()

    def __init__(self, loader: Any, allow_blank: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loader, self.allow_blank, self.text = loader, allow_blank, None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.text = str(valuelist[0]).strip()

    def pre_validate(self, form: Any) -> None:
        if self.text is None:
            return
        name = str(self.label.text)
        if self.text in ("", "__None"):
            if not self.allow_blank:
                raise StopValidation(_("%(field)s: this field is required.", field=name))
            self.data = None
            return
        row, why = resolve(self.loader, self.text)
        if why == "ambiguous":
            raise StopValidation(
                _(
                    "%(field)s: “%(value)s” matches several records; pick one from the list.",
                    field=name,
                    value=self.text,
                )
            )
        if row is None:
            raise StopValidation(
                _(
                    "%(field)s: no “%(value)s” you may choose; type to search, then pick one.",
                    field=name,
                    value=self.text,
                )
            )
        self.data = row


def fk_cell_open(view: Any, name: str) -> bool:
    """A foreign key is editable inline when the grid declares a picker for it and the person
    may see the picked table (the lookup answers them)."""
    loader = getattr(view, "_form_ajax_refs", {}).get(name)
    return loader is not None and may(g.actor, loader.model.model_key(), "view")


def fk_list_fields(view: Any, form_class: Any) -> Any:
    """Give the list form's foreign-key cells their type-ahead fields."""
    fields = view.model._meta.fields
    for name in view.column_editable_list or ():
        loader = getattr(view, "_form_ajax_refs", {}).get(name)
        if loader is None or name not in fields or not hasattr(fields[name], "rel_model"):
            continue
        label = view.get_column_name(name)
        setattr(form_class, name, FkCellField(loader, allow_blank=fields[name].null, label=label))
    return form_class
