"""Row scope: the one place that decides which rows an actor may see and touch.

A scope builder returns a peewee expression to AND into a query, or None for "every row".
Views use `visible()` for list, details, edit, delete, inline edit, actions and export;
`enforce` uses `in_scope()` so that no write path can reach a row the actor cannot see.

A grid passes its own base filter (`base`, e.g. "has an owner"): the OR-branches of the scope
that contradict it are dropped, so the planner gets the narrowest expression it can search by
an index (a salesperson's customers: `owner_id = ?`, not `owner_id = ? OR (pool)`). Dropping a
branch that cannot match changes no result; `in_scope()` keeps the whole scope.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import Any

from peewee import OP, Expression, Field, Node, Value

from rules import Actor, settings

RoleScope = Callable[[type, Actor], Any]
_builders: dict[str, dict[str, RoleScope]] = {}

NOTHING = Value(1) == Value(0)


def any_of(model: type, *conditions: Any) -> Any:
    """Rows that meet any of `conditions`, as one id list built from one index search per
    condition (UNION). An OR across columns or a subquery leaves PostgreSQL no index to search
    (it reads the whole table); a scope that ORs such conditions uses this instead."""
    pk = model._meta.primary_key
    return pk.in_(reduce(or_, [model.select(pk).where(c) for c in conditions]))


def scope(model_key: str, role: str) -> Callable[[RoleScope], RoleScope]:
    """Decorator: the rows of `model_key` that holders of `role` may see."""

    def deco(fn: RoleScope) -> RoleScope:
        _builders.setdefault(model_key, {})[role] = fn
        return fn

    return deco


def _split(expr: Any, op: str) -> list[Any]:
    """The operands of a chain of `op` (AND or OR); [expr] when it is not one."""
    if isinstance(expr, Expression) and expr.op == op:
        return [*_split(expr.lhs, op), *_split(expr.rhs, op)]
    return [expr]


def _fact(term: Any) -> tuple[str, Any] | None:
    """(column, "null" | "set" | ("eq", value)) for `col IS NULL`, `IS NOT NULL`, `= value`."""
    if not isinstance(term, Expression) or not isinstance(term.lhs, Field):
        return None
    column = term.lhs.column_name
    if term.op == OP.IS and term.rhs is None:
        return column, "null"
    if term.op == OP.IS_NOT and term.rhs is None:
        return column, "set"
    if term.op == OP.EQ and term.rhs is not None and not isinstance(term.rhs, Node):
        return column, ("eq", term.rhs)
    return None


def _contradicts(branch: Any, known: dict[str, Any]) -> bool:
    """True when one AND-term of `branch` cannot hold where the `known` facts hold."""
    for term in _split(branch, OP.AND):
        fact = _fact(term)
        if fact is None or fact[0] not in known:
            continue
        mine, theirs = fact[1], known[fact[0]]
        if (mine == "null") != (theirs == "null") or (
            isinstance(mine, tuple) and isinstance(theirs, tuple) and mine != theirs
        ):
            return True
    return False


def _facts(base: Any) -> dict[str, Any]:
    facts = [_fact(term) for term in _split(base, OP.AND)] if base is not None else []
    return dict(f for f in facts if f is not None)


def scope_expr(model: type, actor: Actor, base: Any = None) -> Any:
    """Return the WHERE expression for `actor` on `model`, or None when every row is visible.

    A builder registered for role "*" applies to everyone, even [scope] see_all roles
    (a person's inbox is theirs alone). With `base` (the grid's own filter, ANDed by the
    caller) the OR-branches that contradict it are left out.
    """
    builders = _builders.get(model.model_key())
    if builders is None or actor.is_system:
        return None
    expr, known = None, _facts(base)
    by_role = {role: fn for role, fn in builders.items() if role != "*"}
    if by_role and not actor.has_any(set(settings().scope.see_all)):
        parts = [fn(model, actor) for role, fn in by_role.items() if role in actor.roles]
        branches = [b for part in parts for b in _split(part, OP.OR)]
        branches = [b for b in branches if not _contradicts(b, known)]
        expr = reduce(or_, branches) if branches else NOTHING
    if "*" in builders:
        always = builders["*"](model, actor)
        expr = always if expr is None else (expr & always)
    return expr


def visible(query: Any, model: type, actor: Actor, base: Any = None) -> Any:
    """Narrow `query` to the rows `actor` may see, within the caller's `base` filter if any."""
    if base is not None:
        query = query.where(base)
    expr = scope_expr(model, actor, base)
    return query if expr is None else query.where(expr)


def in_scope(model: type, pk: Any, actor: Actor) -> bool:
    """True when the row `pk` of `model` is visible to `actor`."""
    expr = scope_expr(model, actor)
    if expr is None:
        return True
    return (
        model.select(model._meta.primary_key).where((model._meta.primary_key == pk) & expr).exists()
    )


def has_scopes(model_key: str) -> bool:
    """Whether any module registered a row scope for the table (start-up's governed check)."""
    return bool(_builders.get(model_key))
