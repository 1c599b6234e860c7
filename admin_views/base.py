"""GuardedModelView: the one base view. Every grid inherits login, role, row scope and rules.

Closes the holes of stock Flask-Admin's peewee views (DESIGN.md, "Admin views"):
get_one / delete / actions / inline edit all go through the scoped query, `can_*` are per-role
properties, writes surface RuleViolation as field messages, and list pages join their foreign
keys (no N+1) and count on the bare table.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import flash, g, request
from flask_admin import expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import CustomModelConverter, save_inline
from flask_admin.form import BaseForm
from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from peewee import AutoField, ForeignKeyField
from wtforms import HiddenField
from wtforms.validators import InputRequired, StopValidation

from admin_views import localtime
from admin_views.actions import ActionsMixin
from admin_views.bulk_edit import BulkEditMixin
from admin_views.export import ExportMixin
from admin_views.export_job import ExportJobMixin
from admin_views.filters import FiltersMixin
from admin_views.grid_query import ScopedQueryMixin
from admin_views.guard import LoginGuard
from admin_views.history import HistoryMixin
from admin_views.importer import ImportMixin
from admin_views.paste import PasteMixin
from admin_views.pickers import PickerConverterMixin, PickerMixin
from admin_views.saved_views import SavedViewsMixin
from admin_views.search import SearchMixin
from models.db import db
from rules import RuleViolation, settings
from rules.permissions import may

log = logging.getLogger(__name__)

COMMON_LABELS = {
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "id": "ID",
}


class Required(InputRequired):
    """InputRequired whose message is translated per request (templates skip lazy strings)."""

    def __call__(self, form: Any, field: Any) -> None:
        try:
            super().__call__(form, field)
        except StopValidation:
            raise StopValidation(_("This field is required.")) from None


def _yes_no(view: Any, value: bool, name: str) -> str:
    return _("Yes") if value else _("No")


def _yes_no_icon(view: Any, value: bool, name: str) -> Markup:
    """Flask-Admin's tick or dash, its tooltip in words ("超额优惠: 是", not "discount_flagged:
    true")."""
    icon, glyph = ("check-circle", "ok-circle") if value else ("minus-circle", "minus-sign")
    return Markup('<span class="fa fa-{} glyphicon glyphicon-{}" title="{}: {}"></span>').format(
        icon, glyph, str(view.get_column_name(name)), _yes_no(view, value, name)
    )


class GuardedConverter(PickerConverterMixin, CustomModelConverter):
    """Convert AutoField to a hidden field so a new inline row does not fail validation."""

    def __init__(self, view: Any, additional: dict | None = None):
        super().__init__(view, additional)
        self.converters[AutoField] = self.handle_auto

    def handle_auto(self, model: Any, field: Any, **kwargs: Any) -> Any:
        return field.name, HiddenField(**{k: v for k, v in kwargs.items() if k != "validators"})


class GuardedModelView(
    LoginGuard,
    SavedViewsMixin,
    HistoryMixin,
    BulkEditMixin,  # issue 10 item 2
    ActionsMixin,
    ImportMixin,
    SearchMixin,
    PickerMixin,
    ExportJobMixin,  # issue 10 item 5: large exports as jobs
    ExportMixin,
    FiltersMixin,
    ScopedQueryMixin,
    PasteMixin,  # keyboard and paste (issue 10, item 3)
    ModelView,
):
    """Base for every grid: guarded, scoped, rules-checked, exportable."""

    form_base_class = BaseForm  # CSRF is global (Flask-WTF CSRFProtect covers every POST)
    model_form_converter = GuardedConverter
    list_template = "grid/list.html"
    details_template = "grid/details.html"
    edit_template = "grid/edit.html"
    create_template = "grid/create.html"
    can_view_details = True
    can_set_page_size = True
    page_size_options = (20, 50, 100, 200)
    export_types = ["csv", "xlsx"]
    column_display_pk = False
    form_excluded_columns = ("created_at", "updated_at")
    column_exclude_list = ("version",)
    column_details_exclude_list = ("version",)
    column_export_exclude_list = ("version",)
    # Foreign keys shown in the grid: joined in get_query so a page costs two queries.
    column_joins: tuple[str, ...] = ()
    column_type_formatters = {
        **typefmt.BASE_FORMATTERS,
        bool: _yes_no_icon,
        datetime: lambda view, value, name: localtime(value),
    }
    column_type_formatters_detail = {
        **typefmt.DETAIL_FORMATTERS,
        bool: _yes_no,
        datetime: lambda view, value, name: localtime(value),
    }

    def __init__(self, model: Any, *args: Any, **kwargs: Any):
        super().__init__(model, *args, **kwargs)
        self.page_size = settings().app.page_size

    # -- who may do what -------------------------------------------------------------------
    @property
    def model_key(self) -> str:
        return self.model.model_key()

    # Permissions this grid never offers, whatever the roles (e.g. the pool grid is read-only).
    never: frozenset[str] = frozenset()

    def allowed(self, permission: str) -> bool:
        actor = g.get("actor")
        return (
            permission not in self.never
            and actor is not None
            and may(actor, self.model_key, permission)
        )

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.allowed("create")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.allowed("edit")

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.allowed("delete")

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self.allowed("export")

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and self.allowed("view")

    # -- writes: rules errors become field messages --------------------------------------------
    def get_column_name(self, field: str) -> Any:
        # Lazy: the column names are cached when the app starts, outside any request and
        # language; str() there froze them in English ("Updated" on every details page).
        if field in COMMON_LABELS and field not in (self.column_labels or {}):
            return COMMON_LABELS[field]
        return super().get_column_name(field)

    def search_placeholder(self) -> str | None:
        names = [*self.column_search_prefix, *(f.name for f in self._search_fields)]
        return " / ".join(str(self.get_column_name(n)) for n in names) or None

    def scaffold_form(self) -> Any:
        labels = {n: {"label": label} for n, label in (self.column_labels or {}).items()}
        for name, args in (self.form_args or {}).items():
            labels[name] = {**labels.get(name, {}), **args}
        # Mirror config's required fields in the form (asterisk, browser hint); the rules
        # still decide on save, on every path.
        rule = settings().rules.get(self.model_key)
        for name in rule.required if rule else ():
            args = labels.setdefault(name, {})
            args["validators"] = [*args.get("validators", []), Required()]
            if isinstance(getattr(self.model, name, None), ForeignKeyField):
                args.setdefault("allow_blank", True)
        self.form_args = labels
        form_class = super().scaffold_form()
        form_class.version = HiddenField()
        return form_class

    def _show_violation(self, exc: RuleViolation, form: Any = None) -> None:
        for name, messages in exc.errors.items():
            field = getattr(form, name, None) if form is not None else None
            if field is not None and hasattr(field, "errors") and name != "version":
                field.errors = [*list(field.errors or []), *messages]
            else:
                label = "" if name == "__all__" else f"{self.get_column_name(name)}: "
                for message in messages:
                    flash(label + message, "error")

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)
        if not valid and hasattr(form, "version") and request.method == "POST":
            self._rules_too(form)
        return valid

    def _rules_too(self, form: Any) -> None:
        """WTForms refused the form (a required field, a bad number): the rules' messages on
        the other fields are shown with its own, so one save reports every problem."""
        pk = request.args.get("id")
        stored = self.get_one(pk) if pk else None
        if pk and stored is None:
            return
        record = self.model() if stored is None else self.model(**stored.__data__)
        fields = self.model._meta.fields
        for name, field in form._fields.items():
            if field.errors or name in ("id", "version") or name not in fields:
                continue
            try:
                field.populate_obj(record, name)
            except (TypeError, ValueError, AttributeError):
                continue
        try:
            record.check_only()
        except RuleViolation as exc:
            said = {n for n, f in form._fields.items() if f.errors}
            unsaid = {n: m for n, m in exc.errors.items() if n not in said}
            if unsaid:
                self._show_violation(RuleViolation(unsaid), form)
        except Exception:  # noqa: BLE001 - a courtesy check on a half-filled form
            log.debug("rules not checked on a refused form of %s", self.model_key, exc_info=True)

    def create_model(self, form: Any) -> Any:
        model = self.model()
        try:
            with db.atomic():  # the record and its inline rows: all saved or none
                form.populate_obj(model)
                model.version = 1
                self.on_model_change(form, model, True)
                model.save(force_insert=False)
                save_inline(form, model)
        except RuleViolation as exc:
            self._show_violation(exc, form)
            model.id = None
            return False
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form: Any, model: Any) -> bool:
        loaded = model.version
        try:
            form.populate_obj(model)
            submitted = getattr(getattr(form, "version", None), "data", None)
            model.version = int(submitted) if submitted else loaded
            self.on_model_change(form, model, False)
            with db.atomic():
                model.save()
                save_inline(form, model)
        except (RuleViolation, ValueError) as exc:
            if isinstance(exc, ValueError):
                exc = RuleViolation({"version": [str(exc)]})
            self._show_violation(exc, form)
            return False
        self.after_model_change(form, model, False)
        return True

    def delete_model(self, model: Any) -> bool:
        try:
            self.on_model_delete(model)
            model.delete_instance()
        except RuleViolation as exc:
            self._show_violation(exc)
            return False
        self.after_model_delete(model)
        return True

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self) -> Any:
        """Inline edit: only for roles that may edit; the row is fetched through the scope."""
        if not self.can_edit:
            return _("You may not edit this record."), 403
        closed = self.closed_columns(request.form)
        if closed:  # e.g. a foreign key for someone who may not see the picked table
            return _(
                "%(field)s cannot be changed here.", field=self.get_column_name(closed[0])
            ), 403
        if self.get_one(request.form.get("list_form_pk", "")) is None:
            return _("This record is outside your reach."), 404  # Flask-Admin said 500
        result = super().ajax_update()
        if isinstance(result, tuple) and result[1] == 500:  # a refused value, not a crash
            return result[0], 400
        return result
