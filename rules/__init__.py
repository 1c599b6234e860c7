"""The one rules path: every write (form, grid, action, import, job, CLI) goes through `enforce`.

`rules/` never imports Flask or WTForms: the acting user is a contextvar set by whoever
starts the work.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rules.config import Settings


class RuleViolation(Exception):
    """A write refused by a rule. `errors` maps field name (or "__all__") to messages."""

    #: Fields whose messages name the field in the person's words themselves (step forms):
    #: `message()` does not prefix them with the raw field name.
    self_named: set[str] = set()
    #: Keys whose messages name themselves by prefix (per-line step fields: "lines.<id>.<field>").
    self_named_prefixes: tuple[str, ...] = ("lines.",)

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: list(v) for k, v in errors.items() if v}
        super().__init__(self.message())

    def message(self, label: Callable[[str], Any] = str) -> str:
        """One line for a flash or a CLI: 'field: msg; other: msg'. A page passes `label`
        (its grid's column label: "Points redeemed", not points_redeemed); a CLI keeps names."""
        parts = []
        for name, msgs in self.errors.items():
            named = name in self.self_named or name.startswith(self.self_named_prefixes)
            prefix = "" if name == "__all__" or named else f"{label(name)}: "
            parts.extend(prefix + m for m in msgs)
        return "; ".join(parts)


@dataclass(frozen=True)
class Actor:
    """Who is writing: a staff member, or SYSTEM for scheduled jobs."""

    id: int | None
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    store_id: int | None = None
    # A system effect of a person's step: whom it is done for, and the step ("table/action/rec")
    on_behalf_of: str = ""
    via: str = ""

    @property
    def is_system(self) -> bool:
        return self.id is None and self.username == "system"

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        return self.is_system or bool(self.roles & set(roles))


SYSTEM = Actor(id=None, username="system", roles=frozenset({"system"}))

_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("actor", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run the block with `actor` as the acting user (jobs use SYSTEM)."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


@contextmanager
def effect_of(record: Any, step: str) -> Iterator[Actor]:
    """Write a consequence of the current person's step as SYSTEM, on their behalf.

    For effects on tables the person may not edit (finance confirms a payment; the customer's
    last deal moves). The audit rows say "system", for whom, and which step of which record.
    """
    person = current_actor()
    via = f"{record.model_key()}/{step}/{record}"[:120]
    effect = replace(SYSTEM, on_behalf_of=person.on_behalf_of or person.username, via=via)
    with acting_as(effect) as actor:
        yield actor


def set_actor(actor: Actor | None) -> contextvars.Token:
    """Set the acting user for the current context (a request); return the reset token."""
    return _actor.set(actor)


def current_actor() -> Actor:
    """Return the acting user; raise RuleViolation when nobody is acting (fail closed)."""
    actor = _actor.get()
    if actor is None:
        raise RuleViolation("No acting user: the write was refused.")
    return actor


class _Policy:
    """The validated config, installed once by create_app (or a test)."""

    settings: Settings | None = None
    processes: frozenset[str] = frozenset()  # the active process modules (rules/effects/...)


policy = _Policy()


def configure(settings: Settings, processes: frozenset[str] | None = None) -> None:
    """Install the owner's policy that every rule reads (loading the rule modules first)."""
    discover_rules()
    policy.settings = settings
    if processes is not None:
        policy.processes = processes


def discover_rules() -> list[str]:
    """The convention (README "Where rules live"): every module of the `rules` package is
    imported here, found by walking the package, never listed. A module registers its checks
    (`@register`), row scopes (`@scope`) and effects (`@effect`, in rules/effects/) when it is
    imported, so a rule file cannot be left out of a list; `check_governed` then refuses a
    governed table that ended up with no rules at all. Test-only process modules are never in
    this package: a test passes them to create_app(processes=...)."""
    import importlib
    import pkgutil

    names = [f"rules.{m.name}" for m in pkgutil.iter_modules(__path__)]
    for name in names:
        importlib.import_module(name)
    return names


def check_governed(governed: list[str]) -> list[str]:
    """One message per governed table that no module gave a check or a row scope."""
    from rules.scope import has_scopes

    return [
        f"models.{key}: governed table has no rules: add a module under rules/ that registers"
        f' a check (@rules.register("{key}")) or a row scope (@scope("{key}", role))'
        for key in governed
        if not _checks.get(key) and not has_scopes(key)
    ]


def local_today() -> date:
    """Today's date in the configured time zone (tasks fall due by the shop's calendar)."""
    return datetime.now(ZoneInfo(settings().app.timezone)).date()


def settings() -> Settings:
    if policy.settings is None:
        raise RuntimeError("rules.configure() was not called")
    return policy.settings


Check = Callable[[Any, str, dict[str, Any] | None, Actor], dict[str, list[str]] | None]
_checks: dict[str, list[Check]] = {}


def register(model_key: str) -> Callable[[Check], Check]:
    """Decorator: add a check for one table. A check returns {field: [messages]} or None."""

    def deco(fn: Check) -> Check:
        _checks.setdefault(model_key, []).append(fn)
        return fn

    return deco


def enforce(record: Any, action: str, old: dict[str, Any] | None = None) -> None:
    """Check one write; raise RuleViolation with every problem found.

    `action` is "create", "update" or "delete"; `old` is the stored row for update/delete.
    """
    from rules import approval, completeness, permissions

    actor = current_actor()
    key = record.model_key()
    errors: dict[str, list[str]] = {}
    for check in permissions.CHECKS + completeness.CHECKS + approval.CHECKS + _checks.get(key, []):
        found = check(record, action, old, actor)
        for name, msgs in (found or {}).items():
            errors.setdefault(name, []).extend(msgs)
        if "__denied__" in errors:
            raise RuleViolation({"__all__": errors["__denied__"]})
    if errors:
        raise RuleViolation(errors)
