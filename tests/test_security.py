"""The security sweep, generated from the registered views (issue 11 item 4).

Every route of `app.url_map` is probed (tests/security_plan.py): as anonymous, as every demo
role on a row inside and a row outside their scope, and without a CSRF token. A new grid, action,
picker, printout or workflow step is probed with no change here; a new kind of route fails
`test_every_registered_route_is_probed` until the plan learns to call it.

Each row of every grid carries a token naming it (tests/security_world.py): a response may
never hold the token of a row its reader may not see, and after the refused probes every
table reads as before.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import g

import rules
from models import db
from models.grid_views import SavedView
from rules.scope import visible
from tests.conftest import Client, actor_of, system
from tests.security_plan import PUBLIC, builder_for, plan, probes, routes, views
from tests.security_world import admin_models, populate, stamp_tokens

ROLES = [
    "owner",
    "sales1",
    "store1",
    "supervisor",
    "finance",
    "warehouse",
    "marketing",
    "reception",
]
# Tables a refused probe may still write to: the export log (every export is logged), the
# person's own bookkeeping (login time) and saved views (checked per owner below).
BOOKKEEPING = {"export_log", "staff", "saved_view", "audit_log"}
TOKEN = re.compile(r"zq[a-z]+x\d+qz")


@pytest.fixture
def sec(app, world):
    populate(world)
    tokens = stamp_tokens(app)
    with system():
        saved = [v.id for v in SavedView.select().order_by(SavedView.id)]
    ctx = {
        "search": "zq",
        "saved_views": saved,
        "assignee": world.sales2.id,
        "bulk_run": 1,
        "custom_field": 1,
        "states": ["submitted", "verified", "paid", "shipped"],
    }
    return SimpleNamespace(world=world, tokens=tokens, ctx=ctx)


def snapshot(app, keep_saved_of: int | None = None) -> dict[str, list]:
    """Every row of every grid's table (bookkeeping left out; saved views of others kept)."""
    out = {}
    with system():
        for model in admin_models(app):
            table = model._meta.table_name
            query = model.select().order_by(model.id)
            if table == "saved_view":
                query = query.where(SavedView.owner != keep_saved_of)
            elif table in BOOKKEEPING:
                continue
            out[table] = list(query.tuples())
    return out


def hidden_tokens(app, actor) -> tuple[set[str], dict[str, set[str]]]:
    """The tokens of rows outside the actor's scope (anywhere), and per grid the tokens of
    its own rows that the grid does not show this actor."""
    everywhere, per_view = set(), {}
    with app.test_request_context(), db.connection_context(), rules.acting_as(actor):
        g.actor = actor
        for model in admin_models(app):
            table = model._meta.table_name
            seen = {r.id for r in visible(model.select(model.id), model, actor)}
            everywhere |= {t for pk, t in _tokens(app, table).items() if pk not in seen}
        for endpoint, view in views(app).items():
            model = getattr(view, "model", None)
            if model is None:
                continue
            shown = {r.id for r in view._narrow(model.select(model.id))}
            table = model._meta.table_name
            per_view[endpoint] = {t for pk, t in _tokens(app, table).items() if pk not in shown}
    return everywhere, per_view


def _tokens(app, table):
    return app.config["SEC_TOKENS"].get(table, {})


def rows_of(app, actor) -> dict[str, tuple[list[int], list[int]]]:
    """Per grid: (rows it shows the actor, rows of its table it does not), first few of each."""
    out = {}
    with app.test_request_context(), db.connection_context(), rules.acting_as(actor):
        g.actor = actor
        for endpoint, view in views(app).items():
            model = getattr(view, "model", None)
            if model is None:
                continue
            shown = [r.id for r in view._narrow(model.select(model.id).order_by(model.id))]
            every = [r.id for r in model.select(model.id).order_by(model.id)]
            out[endpoint] = (shown[:1], [pk for pk in every if pk not in shown][:1])
    return out


def test_every_registered_route_is_probed(app):
    """The guard: a route nobody taught the plan to call is a route nobody checks."""
    adapter = app.url_map.bind("localhost")
    unprobed = []
    ctx = {"search": "x", "saved_views": [1], "assignee": 1, "bulk_run": 1}
    ctx |= {"custom_field": 1, "states": ["submitted"]}
    with app.test_request_context():
        for endpoint, methods in routes(app):
            if endpoint in PUBLIC:
                continue
            if builder_for(endpoint) is None:
                unprobed.append(f"{endpoint}: no probe builder")
                continue
            made = probes(app, endpoint, methods, 1, ctx)
            for method in methods - {p.method for p in made}:
                unprobed.append(f"{method} {endpoint}: not probed")
            for p in made:
                path, _, query = p.url.partition("?")
                assert adapter.match(path, method=p.method)[0] == endpoint, p
    assert not unprobed, "teach tests/security_plan.py these routes:\n" + "\n".join(unprobed)


def _leaks(body: bytes, hidden: set[str]) -> set[str]:
    text = body.decode("utf-8", "replace")
    return set(TOKEN.findall(text)) & hidden


def test_anonymous_gets_the_login_page_on_every_route(app, sec, client):
    app.config["SEC_TOKENS"] = sec.tokens
    rows = {v: [1] for v in views(app)}
    before = snapshot(app)
    every = {t for table in sec.tokens.values() for t in table.values()}
    for probe in plan(app, rows, sec.ctx):
        response = probe.send(client)
        client._token = None if probe.endpoint == "auth.logout" else client._token
        where = f"{probe.method} {probe.url}"
        assert response.status_code in (302, 401, 403), f"{where}: {response.status_code}"
        if response.status_code == 302:
            target = response.headers["Location"]
            assert "/login" in target or probe.endpoint == "root", f"{where} -> {target}"
        assert not _leaks(response.data, every), where
    assert snapshot(app) == before


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, sec, as_user):
    """Every POST route of the URL map, the public ones included, as the owner (who may do
    everything): no token or a forged one -> 400, and every table as before."""
    owner = as_user("owner")
    rows = {v: [sec.world.c_sales1.id] for v in views(app)}
    posts = [p for p in plan(app, rows, sec.ctx) if p.method == "POST"]
    posts += [
        SimpleNamespace(url="/login", data={"username": "owner", "password": "x"}),
        SimpleNamespace(url="/locale", data={"locale": "en"}),
    ]
    posted = {p.url.split("?")[0] for p in posts}
    for endpoint, methods in routes(app):
        if "POST" in methods:
            with app.test_request_context():
                from flask import url_for

                rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
                args = {a: 1 for a in rule.arguments}
                if "export_type" in args or "kind" in args:
                    continue
                assert url_for(endpoint, **args).split("?")[0] in posted, endpoint
    before = snapshot(app)
    for probe in posts:
        for token in (None, "forged"):
            data = dict(probe.data, **({"csrf_token": token} if token else {}))
            response = owner.post(probe.url, data, csrf=False)
            assert response.status_code == 400, (
                f"POST {probe.url} ({token}): {response.status_code}"
            )
    assert snapshot(app) == before


@pytest.mark.parametrize("username", ROLES + ["sales2", "store2"])
def test_every_route_as_every_role_in_and_out_of_scope(app, sec, username):
    """List, details, edit, delete, inline edit, paste, actions, export, import, print,
    pickers and workflow steps: a grid the role may not open answers 403 everywhere; on a
    grid it may open, a row outside its scope is refused on every route, a write it has no
    permission for changes nothing, and no response holds a row it may not see."""
    app.config["SEC_TOKENS"] = sec.tokens
    person = getattr(sec.world, username)
    actor = actor_of(person)
    client = Client(app.test_client())
    assert client.login(username).status_code == 302
    everywhere, per_view = hidden_tokens(app, actor)
    rows = rows_of(app, actor)
    before = snapshot(app, keep_saved_of=person.id)
    with app.test_request_context(), db.connection_context(), rules.acting_as(actor):
        g.actor = actor
        may = {
            e: {p: v.allowed(p) for p in ("view", "edit", "create", "delete", "export")}
            for e, v in views(app).items()
            if hasattr(v, "allowed")
        }
    for endpoint in views(app):
        shown, hidden = rows.get(endpoint, ([], []))
        allowed = may.get(endpoint)
        targets = {"in": shown, "out": hidden} if allowed else {"out": [None]}
        for where, pks in targets.items():
            for probe in plan_for(app, endpoint, pks, sec.ctx):
                if where == "in" and not (_refused_write(probe, allowed) or _read(probe)):
                    continue
                response = probe.send(client)
                said = f"{username} {probe.method} {probe.url} ({where} scope)"
                assert response.status_code < 500, f"{said}: {response.status_code}"
                if allowed is not None and not allowed["view"]:
                    assert response.status_code == 403, f"{said}: {response.status_code}"
                leaked = _leaks(response.data, everywhere | per_view.get(endpoint, set()))
                assert not leaked, f"{said} shows {sorted(leaked)}"
                if where == "out" and probe.row is not None and response.status_code == 200:
                    # a POST answers with a message, a selection page (?ids=) lists the
                    # selected rows the person may see: none
                    assert probe.method == "POST" or "ids=" in probe.url, (
                        f"{said}: answered 200 for a row outside the scope"
                    )
        if allowed and allowed["view"] and shown and views(app)[endpoint].can_view_details:
            details = client.get(f"/admin/{endpoint}/details/?id={shown[0]}")
            assert details.status_code == 200, f"{username} cannot open own {endpoint}"
    after = snapshot(app, keep_saved_of=person.id)
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"{username} changed {changed}"


def plan_for(app, endpoint: str, pks: list, ctx: dict):
    from tests.security_plan import Probe  # noqa: F401  (the type of what is returned)

    out, seen = [], set()
    with app.test_request_context():
        for route, methods in routes(app):
            if route.split(".", 1)[0] != endpoint or route in PUBLIC:
                continue
            for pk in pks:
                for p in probes(app, route, methods, pk, ctx):
                    key = (p.method, p.url, repr(sorted(p.data.items(), key=str)))
                    if key not in seen:
                        seen.add(key)
                        out.append(p)
    return out


READS = ("index_view", "export", "ajax_lookup", "details_view", "import_template_view")


def _read(probe) -> bool:
    return probe.method == "GET" and probe.endpoint.endswith(READS)


def _refused_write(probe, allowed: dict | None) -> bool:
    """A probe of a write the role has no permission for (sent on rows inside the scope)."""
    if allowed is None:
        return False
    needs = {"bulk_edit": "edit"}.get(probe.needs, probe.needs)
    return needs in allowed and not allowed[needs] and needs != "view"
