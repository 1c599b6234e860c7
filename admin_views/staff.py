"""Staff and locations grids (owner only by default)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import PasswordField, SelectField
from wtforms.validators import Optional

from admin_views.base import GuardedModelView
from admin_views.fields import SpaceSeparatedField, StrongPassword
from rules import settings

HIDDEN = ("password_hash", "version", "failed_logins", "session_epoch")


def role_text(role: str) -> str:
    from admin_views import role_label

    return role_label(role)


def _roles_formatter(view: Any, context: Any, model: Any, name: str) -> Markup:
    return Markup(" ").join(
        Markup('<span class="badge badge-secondary">{}</span>').format(escape(role_text(r)))
        for r in model.role_set
    )


def _role_names(roles: str) -> list[str]:
    from admin_views import role_label

    return [role_label(r) for r in sorted((roles or "").split())]


LANGUAGES = [("zh_CN", "简体中文"), ("en", "English")]


class StaffView(GuardedModelView):
    column_list = (
        "username",
        "display_name",
        "roles",
        "store",
        "phone",
        "active",
        "locale",
        "locked_until",
        "last_login_at",
    )
    column_joins = ("store",)
    column_exclude_list = HIDDEN
    column_details_exclude_list = HIDDEN
    column_export_exclude_list = HIDDEN
    column_searchable_list = ("username", "display_name")
    column_filters = ("active",)
    column_editable_list = ("display_name", "store", "active")  # store: type-ahead cell
    form_ajax_refs = {"store": {}}  # the form and the grid cell pick a store by type-ahead
    column_default_sort = "username"
    column_formatters = {"roles": _roles_formatter}
    column_formatters_export = {"roles": lambda v, c, m, n: ", ".join(map(role_text, m.role_set))}
    history_formatters = {"roles": lambda value: "、".join(_role_names(value))}
    column_labels = {
        "username": _l("Username"),
        "display_name": _l("Name"),
        "roles": _l("Roles"),
        "store": _l("Store"),
        "phone": _l("Phone"),
        "active": _l("Active"),
        "locale": _l("Language"),
        "password_hash": _l("Password"),  # in the history, as ***
        "locked_until": _l("Locked until"),
        "last_login_at": _l("Last login"),
    }
    form_columns = (
        "username",
        "display_name",
        "roles",
        "store",
        "phone",
        "active",
        "locale",
        "new_password",
    )
    form_overrides = {"roles": SpaceSeparatedField, "locale": SelectField}
    column_choices = {"locale": LANGUAGES}  # grid, details and history name the language
    form_args = {"locale": {"choices": [("", "—"), *LANGUAGES]}}
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"), validators=[Optional(), StrongPassword("username")]
        ),
    }

    def _role_choices(self, form: Any) -> Any:
        from admin_views import role_label

        form.roles.choices = [(k, role_label(k)) for k in settings().roles]
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._role_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._role_choices(super().edit_form(obj))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        password = getattr(form, "new_password", None)
        if password is not None and password.data:
            model.set_password(password.data)


class LocationView(GuardedModelView):
    column_list = ("code", "name", "kind", "address", "phone", "active")
    column_searchable_list = ("name", "address")
    column_search_prefix = ("code",)
    column_filters = ("kind", "active")
    column_editable_list = ("name", "address", "phone", "active")
    column_default_sort = "code"
    column_choices = {"kind": [("warehouse", _l("Warehouse")), ("store", _l("Store"))]}
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "kind": _l("Kind"),
        "address": _l("Address"),
        "phone": _l("Phone"),
        "active": _l("Active"),
    }
    form_columns = ("code", "name", "kind", "address", "phone", "active")
    form_overrides = {"kind": SelectField}
    form_args = {"kind": {"choices": [("warehouse", _l("Warehouse")), ("store", _l("Store"))]}}
