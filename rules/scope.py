"""Row scope: the one place that decides which rows an actor may see and touch.

A scope builder returns a peewee expression to AND into a query, or None for "every row".
Views use `visible()` for list, details, edit, delete, inline edit, actions and export;
`enforce` uses `in_scope()` so that no write path can reach a row the actor cannot see.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import Any

from peewee import Value

from rules import Actor, settings

RoleScope = Callable[[type, Actor], Any]
_builders: dict[str, dict[str, RoleScope]] = {}

NOTHING = Value(1) == Value(0)


def scope(model_key: str, role: str) -> Callable[[RoleScope], RoleScope]:
    """Decorator: the rows of `model_key` that holders of `role` may see."""

    def deco(fn: RoleScope) -> RoleScope:
        _builders.setdefault(model_key, {})[role] = fn
        return fn

    return deco


def scope_expr(model: type, actor: Actor) -> Any:
    """Return the WHERE expression for `actor` on `model`, or None when every row is visible.

    A builder registered for role "*" applies to everyone, even [scope] see_all roles
    (a person's inbox is theirs alone).
    """
    builders = _builders.get(model.model_key())
    if builders is None or actor.is_system:
        return None
    expr = None
    by_role = {role: fn for role, fn in builders.items() if role != "*"}
    if by_role and not actor.has_any(set(settings().scope.see_all)):
        parts = [fn(model, actor) for role, fn in by_role.items() if role in actor.roles]
        expr = reduce(or_, parts) if parts else NOTHING
    if "*" in builders:
        always = builders["*"](model, actor)
        expr = always if expr is None else (expr & always)
    return expr


def visible(query: Any, model: type, actor: Actor) -> Any:
    """Narrow `query` to the rows `actor` may see."""
    expr = scope_expr(model, actor)
    return query if expr is None else query.where(expr)


def in_scope(model: type, pk: Any, actor: Actor) -> bool:
    """True when the row `pk` of `model` is visible to `actor`."""
    expr = scope_expr(model, actor)
    if expr is None:
        return True
    return (
        model.select(model._meta.primary_key).where((model._meta.primary_key == pk) & expr).exists()
    )
