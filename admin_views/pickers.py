"""Type-ahead pickers for foreign keys to big tables (customers, products).

A form never lists a big table: a view declares the field in `form_ajax_refs` and gets a
Select2 type-ahead backed by ONE scoped loader. The loader searches through the same scoped
query as the grid (`rules.scope.visible`, or a narrower rows function such as
`customers_served_by`), by index only: a code-like term (a phone, a SKU) by prefix range on the
code column, a name by prefix range on an indexed name column (or, for a small table, by
substring). `get_one` answers only for rows in that query, so a crafted id never resolves to
a row outside the person's scope; the rules path refuses it on every other write path too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, g, request
from flask_admin import expose
from flask_admin.contrib.peewee.form import InlineModelConverter
from flask_admin.helpers import get_url
from flask_admin.model.ajax import AjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_admin.model.widgets import AjaxSelect2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from peewee import IntegerField
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from admin_views.search import prefix_range
from rules.permissions import may
from rules.scope import visible

MAX_RESULTS = 50  # a crafted ?limit= never dumps a table


@dataclass(frozen=True)
class Search:
    """How a table is searched by type-ahead: codes and phones by prefix range on their index,
    never LIKE '%…%'; names by prefix range, or by substring for tables that stay small."""

    code: str  # unique indexed code (phone, SKU): prefix range, results in code order
    name: str  # name column: prefix range (indexed) or substring (small tables only)
    name_contains: bool = False  # True only for tables that stay small (the catalog)
    normalise: Callable[[str], str] = str  # how a typed code is stored (phones drop +86…)
    placeholder: Any = _l("Type to search")
    offered: Callable[[type], Any] | None = None  # narrows the search list only (not get_one)
    labelled: Callable[[type, str], Any] | None = None  # rows whose str() is the text (paste)


def _customer_labelled(model: type, text: str) -> Any:
    """ "王秀英 (13912345678)": the name and the (unique) phone."""
    from rules.customers import normalise_phone

    name, _sep, phone = text.rpartition(" (")
    return (model.name == name) & (model.phone == normalise_phone(phone.removesuffix(")")))


def _searches() -> dict[str, Search]:
    from rules.customers import normalise_phone

    active = lambda model: model.active  # noqa: E731 - nobody picks a retired row anew
    return {
        "customer": Search(
            "phone",
            "name",
            normalise=normalise_phone,
            placeholder=_l("Type a name or phone to search"),
            labelled=_customer_labelled,
        ),
        "product": Search(
            "sku",
            "name",
            name_contains=True,
            placeholder=_l("Type a code or name to search"),
            offered=active,  # discontinued products are not sold again
            labelled=lambda m, text: (
                (m.sku == text.partition(" ")[0]) & (m.name == text.partition(" ")[2])
            ),
        ),
        "staff": Search(  # a small table: assignees, a person's store colleagues
            "username",
            "display_name",
            name_contains=True,
            placeholder=_l("Type a name to search"),
            offered=active,
            labelled=lambda m, text: (
                (m.display_name == text) | ((m.display_name == "") & (m.username == text))
            ),
        ),
        "location": Search(  # a small table: the warehouse and the stores
            "code",
            "name",
            name_contains=True,
            placeholder=_l("Type a code or name to search"),
            offered=active,
            labelled=lambda m, text: m.name == text,
        ),
    }


def looks_like_code(term: str) -> bool:
    return any(c.isdigit() for c in term)


def terms_of(query: str) -> list[str]:
    """Words of the typed text; adjacent code-like words are one code ("+86 139 1234")."""
    terms: list[str] = []
    for word in (query or "").split():
        if terms and looks_like_code(word) and looks_like_code(terms[-1]):
            terms[-1] += word
        else:
            terms.append(word)
    return terms


class ScopedLoader(AjaxModelLoader):
    """Rows of `model` the acting person may pick, searched by index, labelled by str(row).

    Option `rows(actor) -> query` narrows the offer further than the grid's scope (e.g. only
    customers the person serves). The table's `Search.offered` narrows the search list only
    (active products), so a record already chosen stays valid.
    """

    def __init__(self, name: str, model: type, options: dict[str, Any]):
        self.model = model
        self.search = _searches()[model.model_key()]
        super().__init__(name, {"placeholder": self.search.placeholder, **options})

    def rows(self) -> Any:
        make = self.options.get("rows")
        if make is not None:
            return make(g.actor)
        return visible(self.model.select(), self.model, g.actor)

    def format(self, model: Any) -> tuple[Any, str] | None:
        return None if model is None else (model.get_id(), str(model))

    def entries(self, rows: list[Any]) -> list[list[Any]]:
        """[id, label] per row, plus what the form shows about it ({"price": …}) when the
        field declares `facts(rows) -> {id: dict}` (one query for the whole page of rows)."""
        make = self.options.get("facts")
        facts = make(rows) if make is not None and rows else {}
        return [
            [row.get_id(), str(row), *([facts[row.get_id()]] if row.get_id() in facts else [])]
            for row in rows
        ]

    def get_one(self, pk: Any) -> Any:
        try:
            key = self.model._meta.primary_key.adapt(pk)
        except (TypeError, ValueError):
            return None
        if isinstance(self.model._meta.primary_key, IntegerField) and not isinstance(key, int):
            return None  # peewee hands "x1" back unchanged; PostgreSQL would refuse the query
        return self.rows().where(self.model._meta.primary_key == key).first()

    def _clause(self, term: str) -> tuple[Any, Any]:
        """(condition, sort column) for one typed term."""
        code = getattr(self.model, self.search.code)
        name = getattr(self.model, self.search.name)
        if looks_like_code(term):
            key = self.search.normalise(term) or term
            return prefix_range(code, key), code
        if self.search.name_contains:
            return prefix_range(code, term) | name.contains(term), code
        return prefix_range(name, term), name

    def get_list(self, query: str, offset: int = 0, limit: int = 10) -> list[Any]:
        rows, order = self.rows(), getattr(self.model, self.search.name)
        if self.search.offered is not None:
            rows = rows.where(self.search.offered(self.model))
        for term in terms_of(query):
            clause, order = self._clause(term)
            rows = rows.where(clause)
        limit = max(1, min(limit or 10, MAX_RESULTS))
        return list(rows.order_by(order, self.model.id).offset(max(0, offset or 0)).limit(limit))


class PickerWidget(AjaxSelect2Widget):
    """Flask-Admin's Select2 input, with the chosen row's label readable (non-ASCII kept)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("data-role", "select2-ajax")
        kwargs.setdefault("data-url", get_url(".ajax_lookup", name=field.loader.name))
        if field.allow_blank:
            kwargs["data-allow-blank"] = "1"
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", "hidden")
        chosen = field.loader.entries([field.data])[0] if field.data is not None else None
        if chosen:
            kwargs["value"] = chosen[0]
            kwargs["data-json"] = json.dumps(chosen, ensure_ascii=False)
        kwargs.setdefault("data-placeholder", str(field.loader.options["placeholder"]))
        kwargs.setdefault("data-minimum-input-length", 1)
        return Markup(f"<input {html_params(name=field.name, **kwargs)}>")


class PickerField(AjaxSelectField):
    """A foreign key chosen by type-ahead. A posted id resolves only through the scoped
    loader; an id outside it is refused with a field message, never shown."""

    widget = PickerWidget()

    def process_formdata(self, valuelist: Any) -> None:
        current = getattr(self, "_data", None)
        super().process_formdata(valuelist)
        # The record's own value stays valid even if it has since left the person's scope.
        if current is not None and valuelist and str(current.get_id()) == str(valuelist[0]):
            self.data = current

    def pre_validate(self, form: Any) -> None:
        posted = bool(self.raw_data) and self.raw_data[0] not in ("", "__None")
        if self.data is None and (posted or not self.allow_blank):
            raise StopValidation(_("Choose from the list: type to search, then pick one."))


class PickerConverterMixin:
    """For a model form converter: a foreign key with a loader becomes a PickerField."""

    def handle_foreign_key(self, model: Any, field: Any, **kwargs: Any) -> Any:
        loader = getattr(self.view, "_form_ajax_refs", {}).get(field.name)
        if loader is None:
            return super().handle_foreign_key(model, field, **kwargs)
        kwargs["allow_blank"] = kwargs.get("allow_blank", False) or field.null
        return field.name, PickerField(loader, **kwargs)


class PickerInlineConverter(InlineModelConverter):
    """Inline rows (order lines) get pickers too: `form_ajax_refs` in the inline options."""

    def process_ajax_refs(self, info: Any) -> dict[str, Any]:
        result = {}
        for name, options in (getattr(info, "form_ajax_refs", None) or {}).items():
            full = f"{info.model.__name__.lower()}.{name}"
            loader = ScopedLoader(full, getattr(info.model, name).rel_model, dict(options))
            result[name] = self.view._form_ajax_refs[full] = loader
        return result

    def contribute(self, converter: Any, model: Any, form_class: Any, inline_model: Any) -> Any:
        info = self.get_info(inline_model)  # the inline rows' fields find their own loaders
        return super().contribute(type(converter)(info), model, form_class, info)


class PickerMixin:
    """Mixed into the guarded base view: `form_ajax_refs = {"customer": {...}}` is all a view
    declares; the lookup endpoint is login-protected, permission-checked and scoped."""

    inline_model_form_converter = PickerInlineConverter

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> AjaxModelLoader:
        return ScopedLoader(name, getattr(self.model, name).rel_model, dict(options))

    def create_form(self, obj: Any = None) -> Any:
        """A new record's picker may come chosen: `?customer=12` opens the form with that
        customer picked (log a follow-up, start an order from the customer page), only if the
        person could pick it."""
        form = super().create_form(obj)
        if request.method == "GET":
            for name, loader in self._form_ajax_refs.items():
                wanted, field = request.args.get(name), getattr(form, name, None)
                if wanted and field is not None and "." not in name:
                    field.data = loader.get_one(wanted)
        return form

    @expose("/ajax/lookup/")
    def ajax_lookup(self) -> Any:
        """Type-ahead results: [[id, label], …] for people who may fill this grid's form and
        see the picked table; at most MAX_RESULTS rows, only rows in their scope."""
        if not (self.allowed("create") or self.allowed("edit")):
            abort(403)
        loader = self._form_ajax_refs.get(request.args.get("name", ""))
        if loader is None:
            abort(404)
        if not may(g.actor, loader.model.model_key(), "view"):
            abort(403)
        found = loader.get_list(
            request.args.get("query", ""),
            request.args.get("offset", 0, type=int),
            request.args.get("limit", 10, type=int),
        )
        body = json.dumps(loader.entries(found), ensure_ascii=False)
        return Response(body, mimetype="application/json")
