"""The generated security plan (issue 11 item 4): every route of the running app, read from
`app.url_map` and the registered admin views, turned into concrete requests ("probes").

A route is called by what it does, which its endpoint's method name tells (`edit_view`,
`ajax_update`, `print_view`, …); the row, the action names, the picker names, the printout kinds
and the workflow steps come from the view itself. A new grid is therefore probed with no
change here; a new *kind* of route (a method name never seen) makes
`tests/test_security.py::test_every_registered_route_is_probed` fail until it is taught below.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from flask import url_for

# Routes anyone may call, logged in or not (each still needs the CSRF token to POST).
PUBLIC = {"auth.login", "auth.set_locale", "static", "admin.static", "favicon"}


@dataclass(frozen=True)
class Probe:
    endpoint: str  # e.g. "customer.edit_view"
    method: str
    url: str
    data: dict = field(default_factory=dict, hash=False, compare=False)
    row: int | None = None  # the row of the view's model this probe aims at
    needs: str = "view"  # the permission a person needs for this probe to do anything

    @property
    def view(self) -> str:
        return self.endpoint.split(".", 1)[0]

    def send(self, client: Any, csrf: bool = True) -> Any:
        if self.method == "GET":
            return client.get(self.url)
        data = dict(self.data)
        if "file" in data:  # a fresh stream per request
            data["file"] = (io.BytesIO(data["file"][0]), data["file"][1])
            return client.post(self.url, data, csrf=csrf, content_type="multipart/form-data")
        return client.post(self.url, data, csrf=csrf)


def views(app) -> dict[str, Any]:
    """endpoint -> registered admin view (grids, home, reports, settings pages)."""
    return {v.endpoint: v for v in app.extensions["admin"][0]._views}


def routes(app) -> list[tuple[str, set[str]]]:
    """(endpoint, methods) of every route in the URL map, static files left out."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return sorted(found.items())


def _text_column(view: Any) -> str:
    from tests.security_world import text_columns

    model = getattr(view, "model", None)
    columns = text_columns(model) if model is not None else []
    return columns[0] if columns else "name"


def _actions(view: Any) -> list[str]:
    return [name for name, _label in getattr(view, "_actions", [])]


def _pickers(view: Any) -> list[str]:
    return list((getattr(view, "_form_ajax_refs", None) or {}).keys()) or ["customer"]


def _steps(view: Any) -> list[str]:
    from rules.workflow import workflow

    model = getattr(view, "model", None)
    wf = workflow(model.model_key()) if model is not None and hasattr(model, "model_key") else None
    return sorted({t.action for t in wf.transitions}) if wf else ["submit"]


def _csv(view: Any) -> tuple[bytes, str]:
    column = _text_column(view)
    return (f"{column}\nHACK\n".encode(), "rows.csv")


def _kind(name: str):
    """Register a probe builder for the routes whose method is `name`."""

    def register(fn):
        BUILDERS[name] = fn
        return fn

    return register


# method name -> fn(view, endpoint, row, ctx) -> [(method, url args, data, needs)]
BUILDERS: dict[str, Any] = {}
H = "HACK"


@_kind("index_view")
def _index(view, row, ctx):
    return [("GET", {}, {}, "view"), ("GET", {"search": ctx["search"]}, {}, "view")]


@_kind("details_view")
def _details(view, row, ctx):
    return [("GET", {"id": row}, {}, "view")]


@_kind("edit_view")
def _edit(view, row, ctx):
    return [
        ("GET", {"id": row}, {}, "edit"),
        ("POST", {"id": row}, {_text_column(view): H, "version": "1"}, "edit"),
    ]


@_kind("create_view")
def _create(view, row, ctx):
    return [("GET", {}, {}, "create"), ("POST", {}, {_text_column(view): H}, "create")]


@_kind("delete_view")
def _delete(view, row, ctx):
    return [("POST", {}, {"id": row}, "delete")]


@_kind("action_view")
def _action(view, row, ctx):
    return [("POST", {}, {"action": a, "rowid": row}, a) for a in _actions(view)]


@_kind("ajax_update")
def _ajax_update(view, row, ctx):
    return [("POST", {}, {"list_form_pk": row, _text_column(view): H}, "edit")]


@_kind("ajax_paste")
def _ajax_paste(view, row, ctx):
    return [("POST", {}, {"cells": json.dumps([[row, _text_column(view), H]])}, "edit")]


@_kind("ajax_lookup")
def _ajax_lookup(view, row, ctx):
    return [("GET", {"name": n, "query": ctx["search"]}, {}, "view") for n in _pickers(view)]


@_kind("export")
def _export(view, row, ctx):  # GET streams (or offers the job); POST starts a large one's job
    return [(m, {"export_type": t}, {}, "export") for m in ("GET", "POST") for t in ("csv", "xlsx")]


for _name, _method in (
    ("export_run_view", "GET"),
    ("export_run_file_view", "GET"),
    ("export_run_again_view", "POST"),
):  # someone else's or a missing export run (issue 10 item 5)
    BUILDERS[_name] = lambda view, row, ctx, m=_method: [(m, {"id": ctx["bulk_run"]}, {}, "export")]


@_kind("import_view")
def _import(view, row, ctx):
    return [("GET", {}, {}, "create"), ("POST", {}, {"file": _csv(view)}, "create")]


@_kind("import_failed_view")
def _import_failed(view, row, ctx):
    return [("GET", {"token": "x"}, {}, "create")]


@_kind("import_template_view")
def _import_template(view, row, ctx):
    return [("GET", {}, {}, "create")]


@_kind("bulk_edit_view")
def _bulk_edit(view, row, ctx):
    column = _text_column(view)
    return [
        ("GET", {"ids": row, "field": column}, {}, "edit"),
        ("POST", {"ids": row, "field": column}, {column: H}, "edit"),
    ]


@_kind("bulk_run_view")
def _bulk_run(view, row, ctx):
    return [("GET", {"id": ctx["bulk_run"]}, {}, "edit")]


@_kind("bulk_run_resume_view")
def _bulk_run_resume(view, row, ctx):
    return [("POST", {"id": ctx["bulk_run"]}, {}, "edit")]


@_kind("views_save")
def _views_save(view, row, ctx):
    return [("POST", {}, {"name": H, "query": "sort=0"}, "view")]


@_kind("views_delete")
def _views_delete(view, row, ctx):
    return [("POST", {"view_id": pk}, {}, "view") for pk in ctx["saved_views"]]


@_kind("views_share")
def _views_share(view, row, ctx):
    share = {"shared_role": "salesperson"}
    return [("POST", {"view_id": pk}, share, "view") for pk in ctx["saved_views"]]


@_kind("assign_view")
def _assign(view, row, ctx):
    data = {"ids": str(row), "staff": ctx["assignee"]}
    return [("GET", {"ids": row}, {}, "assign"), ("POST", {"ids": row}, data, "assign")]


@_kind("close_view")
def _close(view, row, ctx):
    return [
        ("GET", {"id": row}, {}, "close"),
        ("POST", {}, {"id": row, "closing_note": H}, "close"),
    ]


@_kind("print_view")
def _print(view, row, ctx):
    from printouts import KINDS

    return [("GET", {"kind": k, "ids": row}, {}, "print") for k in KINDS]


@_kind("reason_view")
def _reason(view, row, ctx):
    verbs = ("reject", "cancel")
    return [("GET", {"ids": row, "verb": v}, {}, v) for v in verbs] + [
        ("POST", {"ids": row, "verb": v}, {"reason": H}, v) for v in verbs
    ]


@_kind("take_view")
def _take(view, row, ctx):
    return [("POST", {"id": row}, {"action": a, "note": H}, a) for a in _steps(view)]


@_kind("approve_matching_count")
def _approve_count(view, row, ctx):
    return [("GET", {"step": s}, {}, "approve") for s in ctx["states"]]


@_kind("approve_matching_view")
def _approve_matching(view, row, ctx):
    return [("POST", {"search": ctx["search"]}, {"step": s}, "approve") for s in ctx["states"]]


@_kind("index")  # BaseView pages: home, performance report, custom fields
def _page(view, row, ctx):
    return [("GET", {}, {}, "view"), ("POST", {}, {"table": "customer", "kind": "text"}, "view")]


for _name in ("purge", "remove", "restore"):
    BUILDERS[_name] = lambda view, row, ctx: [
        ("POST", {"pk": ctx["custom_field"]}, {"confirm": "yes"}, "view")
    ]
BUILDERS["values"] = lambda view, row, ctx: [("GET", {"pk": ctx["custom_field"]}, {}, "view")]
# The few routes outside the admin: the home redirect and the session's own pages.
OUTSIDE = {
    "root": [("GET", {}, {})],
    "auth.logout": [("POST", {}, {})],
    "auth.change_password": [("GET", {}, {}), ("POST", {}, {"current": "x", "new": "y"})],
    "admin.index": [("GET", {}, {})],
    "performance.export": [("GET", {}, {})],
}


def builder_for(endpoint: str) -> Any:
    if endpoint in OUTSIDE:
        return lambda view, row, ctx: [(m, a, d, "view") for m, a, d in OUTSIDE[endpoint]]
    return BUILDERS.get(endpoint.split(".", 1)[-1])


def probes(app, endpoint: str, methods: set[str], row: int | None, ctx: dict) -> list[Probe]:
    """The requests that exercise `endpoint` on `row` (call inside app.test_request_context)."""
    build = builder_for(endpoint)
    if build is None:
        return []
    view = views(app).get(endpoint.split(".", 1)[0])
    out = []
    for method, args, data, needs in build(view, row, ctx):
        if method not in methods:
            continue
        args = {k: v for k, v in args.items() if v is not None}
        aimed = row is not None and row in [*args.values(), *data.values()]
        url = url_for(endpoint, **args)
        out.append(Probe(endpoint, method, url, data, row if aimed else None, needs))
    return out


def plan(app, rows: dict[str, list[int]], ctx: dict) -> list[Probe]:
    """Every probe of every non-public route, once per row in rows[view] (or once, rowless)."""
    everything = []
    with app.test_request_context():
        for endpoint, methods in routes(app):
            if endpoint in PUBLIC:
                continue
            for row in rows.get(endpoint.split(".", 1)[0]) or [None]:
                everything.extend(probes(app, endpoint, methods, row, ctx))
    return everything
