"""Settings → Custom fields: the owner adds, removes (hides, keeping a CSV), restores and
purges fields. Owner only; every POST is CSRF-checked (CSRFProtect is global)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin_views.custom_fields import refresh_views
from admin_views.guard import LoginGuard
from models import GOVERNED
from models import custom_fields as store
from rules import RuleViolation
from rules import custom_fields as cf

KIND_LABELS = {
    "text": _l("Text"),
    "number": _l("Whole number"),
    "money": _l("Money"),
    "date": _l("Date"),
    "choice": _l("Choice"),
    "yesno": _l("Yes / no"),
    "link": _l("Link to another table"),
}
REQUIRED_LABELS = {
    "no": _l("Optional"),
    "soft": _l("Flag the record to complete"),
    "hard": _l("Required for new records"),
}
FORM_LABELS = {
    "table": _l("Table"),
    "name": _l("Name"),
    "kind": _l("Kind"),
    "label_en": _l("Label (English)"),
    "label_zh": _l("Label (Chinese)"),
    "required": _l("Required"),
    "choices": _l("Choices"),
    "link": _l("Links to"),
}


# The tables owners extend most come first (customers is the default), then the others.
TABLE_ORDER = ("customer", "product", "sales_order", "follow_up", "follow_up_task")
TABLE_ORDER += ("adverse_case", "stock_move", "location", "staff", "notification")
# A grid whose menu name is personal ("My tasks") is named after the table it holds.
TABLE_NAMES = {"follow_up_task": _l("Follow-up tasks")}


def table_labels() -> dict[str, str]:
    """Each governed table by its grid's menu name (the person's language), customers first."""
    admin = current_app.extensions["admin"][0]
    found: dict[str, str] = {}
    for view in admin._views:
        model = getattr(view, "model", None)
        if model in GOVERNED and model.model_key() not in found:
            key = model.model_key()
            found[key] = str(TABLE_NAMES.get(key, view.name))
    rank = {key: i for i, key in enumerate(TABLE_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[1])))


class CustomFieldsView(LoginGuard, BaseView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated and "owner" in (g.actor.roles if g.actor else ())

    def _folder(self) -> Path:
        return Path(current_app.instance_path) / "custom_field_exports"

    def _row(self, pk: int) -> store.CustomField:
        row = store.CustomField.get_or_none(store.CustomField.id == pk)
        if row is None:
            abort(404)
        return row

    def _done(self) -> Any:
        refresh_views(current_app.extensions["admin"][0])
        return redirect(url_for(".index"))

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        errors: dict[str, list[str]] = {}
        form = request.form
        if request.method == "POST":
            picks, choice_errors = cf.parse_choices(form.get("choices", ""))
            d = cf.Definition(
                table=form.get("table", ""),
                name=cf.column_name(form.get("name", "")),
                kind=form.get("kind", ""),
                label_en=form.get("label_en", ""),
                label_zh=form.get("label_zh", ""),
                required=form.get("required", "no"),
                choices=tuple(picks) if form.get("kind") == "choice" else (),
                link=form.get("link", "") if form.get("kind") == "link" else "",
            )
            try:
                if choice_errors and d.kind == "choice":
                    raise RuleViolation({"choices": choice_errors})
                store.add(d, g.actor.username)
            except RuleViolation as exc:
                errors = exc.errors
                for name, messages in errors.items():
                    for message in messages:
                        flash(f"{FORM_LABELS.get(name, '')}: {message}", "error")
            else:
                flash(_("The field was added."), "success")
                return self._done()
        rows = store.CustomField.select().order_by(store.CustomField.table, store.CustomField.id)
        return self.render(
            "custom_fields.html",
            rows=list(rows),
            tables=table_labels(),
            kinds=KIND_LABELS,
            required=REQUIRED_LABELS,
            labels=FORM_LABELS,
            form=form,
            errors=errors,
        )

    @expose("/<int:pk>/remove", methods=("POST",))
    def remove(self, pk: int) -> Any:
        row = self._row(pk)
        if request.form.get("confirm") != "yes":
            flash(_("Tick the box to confirm the removal."), "error")
            return redirect(url_for(".index"))
        store.hide(row, self._folder())
        flash(_("The field is hidden; its values are kept (download them below)."), "success")
        return self._done()

    @expose("/<int:pk>/restore", methods=("POST",))
    def restore(self, pk: int) -> Any:
        store.restore(self._row(pk))
        flash(_("The field is back."), "success")
        return self._done()

    @expose("/<int:pk>/purge", methods=("POST",))
    def purge(self, pk: int) -> Any:
        row = self._row(pk)
        if request.form.get("confirm") != row.name:
            flash(_("Type the field's name to confirm the purge."), "error")
            return redirect(url_for(".index"))
        try:
            store.purge(row)
        except RuleViolation as exc:
            flash(exc.message(), "error")
            return redirect(url_for(".index"))
        flash(_("The column was purged."), "success")
        return self._done()

    @expose("/<int:pk>/values.csv")
    def values(self, pk: int) -> Any:
        row = self._row(pk)
        return Response(
            "\ufeff" + store.values_csv(row),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={row.table}.{row.name}.csv"},
        )
