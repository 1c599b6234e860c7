"""Custom fields on the grids: each request checks the version token (one cheap query); when
it changed, the models get the new fields and this app's grids rebuild their columns, forms,
filters, search, export, import and details (Flask-Admin's `_refresh_cache`)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import get_locale

from models import custom_fields as store
from rules import custom_fields as cf

# A grid's own settings, extended with the custom fields of its table.
EXTENDED = (
    "column_list",
    "column_details_list",
    "column_export_list",
    "column_import_list",
    "form_columns",
)


class Bilingual:
    """A label the owner wrote in both languages; str() gives the person's language."""

    def __init__(self, en: str, zh: str) -> None:
        self.en, self.zh = en, zh

    def __str__(self) -> str:
        locale = str(get_locale() or "en")
        return self.zh if locale.startswith("zh") and self.zh else self.en

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash((self.en, self.zh))


def label(d: cf.Definition) -> Bilingual:
    return Bilingual(d.label_en, d.label_zh)


def choices(d: cf.Definition) -> list[tuple[str, Bilingual]]:
    return [(key, Bilingual(en, zh)) for key, en, zh in d.choices]


def _base(view: Any) -> dict[str, Any]:
    """The grid's settings before any custom field (taken once)."""
    if "_cf_base" not in view.__dict__:
        names = (
            *EXTENDED,
            "column_filters",
            "column_searchable_list",
            "column_labels",
            "column_choices",
            "form_args",
            "column_joins",
        )
        view._cf_base = {n: getattr(view, n, None) for n in names}
    return view._cf_base


def refresh_view(view: Any) -> None:
    base = _base(view)
    defs = cf.active(view.model.model_key())
    names = tuple(d.name for d in defs)
    for attr in EXTENDED:
        if base[attr] is not None:
            setattr(view, attr, (*base[attr], *names))
    links = tuple(
        d.name
        for d in defs
        if d.kind == "link" and getattr(getattr(view.model, d.name).rel_model, "label_fields", 0)
    )
    view.column_joins = (*(base["column_joins"] or ()), *links)  # no lookup per row
    # a link is filtered by the linked row's label typed (admin_views/filters.py)
    view.column_filters = (*(base["column_filters"] or ()), *names)
    text = tuple(d.name for d in defs if d.kind == "text")
    view.column_searchable_list = (*(base["column_searchable_list"] or ()), *text) or None
    view.column_labels = {**(base["column_labels"] or {}), **{d.name: label(d) for d in defs}}
    picks = {d.name: choices(d) for d in defs if d.kind == "choice"}
    view.column_choices = {**(base["column_choices"] or {}), **picks}
    form_args = dict(base["form_args"] or {})
    for d in defs:
        args = {**form_args.get(d.name, {}), "label": label(d)}
        if d.kind == "choice":
            args["choices"] = picks[d.name]  # the select's own blank ("__None") comes first
            args["coerce"] = lambda v: v or None
        form_args[d.name] = args
    view.form_args = form_args
    view.__dict__.pop("_choice_maps", None)
    view._search_fields = []
    view._refresh_cache()


def refresh_views(admin: Any) -> None:
    from admin_views.base import GuardedModelView
    from models import GOVERNED

    for view in admin._views:
        if isinstance(view, GuardedModelView) and view.model in GOVERNED:
            refresh_view(view)
    admin._cf_token = store._state["token"]


def before_request() -> None:
    """Load changed definitions (this process) and rebuild this app's grids if needed."""
    store.sync()
    admin = current_app.extensions["admin"][0]
    if getattr(admin, "_cf_token", None) != store._state["token"]:
        refresh_views(admin)


def start() -> None:
    """At create_app: forget other databases' fields, load this one's if it is migrated."""
    from models.db import db

    store.reset()
    was_closed = db.is_closed()
    db.connect(reuse_if_open=True)
    try:
        store.sync()
    finally:
        if was_closed:
            db.close()
