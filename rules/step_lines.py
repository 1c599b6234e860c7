"""Per-line step fields (issue 8, item 5): what a step's person fills in on each line of the
record, e.g. the quantity received per line with a reason for a difference (process E).

A transition declares them in `[workflows.<table>]` as `lines = {table, fields, show,
differences, checks}`: the line table (its rows whose foreign key points at the record), the
fields filled in on each line (`{field, label, required, when}`, `when` testing the line),
read-only columns shown beside them, "a reason is required where `field` differs from
`against`" pairs, and per-line checks registered by name with `@line_check`. `take()` fills the
submitted values (`values["lines"] = {line id: {field: value}}`) and saves the lines as SYSTEM
on the person's behalf, like an effect; `problems` is the one check, run by the save check of
every transition (`rules.approval`), so every path that skips a required line field is refused,
each message naming the line and the field. Errors are keyed `lines.<line id>.<field>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peewee import ForeignKeyField

from rules import RuleViolation
from rules.i18n import gettext as _
from rules.step_forms import convert, label_text
from rules.workflow_config import LineForm, WorkflowTransition

LINES = "lines"  # the key of the per-line values in take()'s `values`


@dataclass(frozen=True)
class LineCheck:
    fn: Callable[[Any, Any], dict[str, str] | None]  # (record, line) -> {field: why} or None
    module: str


_line_checks: dict[tuple[str, str], LineCheck] = {}


def line_check(table: str, name: str):
    """Decorator: register `fn(record, line) -> {field: message} | None` as the per-line check
    `name` of the line table `table` (a transition's `lines.checks` names it)."""

    def deco(fn: Callable[[Any, Any], dict[str, str] | None]):
        _line_checks[(table, name)] = LineCheck(fn, fn.__module__)
        return fn

    return deco


def registered_check(table: str, name: str, active: frozenset[str]) -> bool:
    found = _line_checks.get((table, name))
    return found is not None and found.module in active


def key(line: Any, field: str) -> str:
    return f"{LINES}.{line.id}.{field}"


def link_to(line_model: type, record_model: type) -> ForeignKeyField | None:
    """The line table's foreign key to the record's table (None: it has none)."""
    return next(
        (
            f
            for f in line_model._meta.sorted_fields
            if isinstance(f, ForeignKeyField) and f.rel_model is record_model
        ),
        None,
    )


def lines_of(record: Any, form: LineForm) -> list[Any]:
    """The record's lines, in entry order (the line table is found by its foreign key)."""
    fk, model = next(
        (f, m) for f, m in type(record)._meta.backrefs.items() if m.model_key() == form.table
    )
    return list(model.select().where(fk == record.id).order_by(model.id))


def _named(line: Any, n: int, text: str) -> str:
    return _("Line %(n)d (%(line)s): %(why)s", n=n, line=str(line), why=text)


def fill_lines(record: Any, t: WorkflowTransition, values: dict[Any, Any]) -> list[Any]:
    """Put the submitted per-line values on the record's lines (not saved yet); refuse a value
    of the wrong kind, naming the line. Values for rows not of this record are ignored."""
    if t.lines is None:
        return []
    lines = lines_of(record, t.lines)
    errors: dict[str, list[str]] = {}
    given = {str(k): v for k, v in (values or {}).items()}
    for n, line in enumerate(lines, 1):
        mine = given.get(str(line.id)) or {}
        for f in t.lines.fields:
            if f.field not in mine:
                continue
            try:
                convert(line, f, mine[f.field])
            except RuleViolation as exc:
                errors[key(line, f.field)] = [_named(line, n, m) for m in exc.errors[f.field]]
    if errors:
        raise RuleViolation(errors)
    return lines


def save_lines(record: Any, lines: list[Any]) -> None:
    """Save the filled lines through the rules path (the caller acts as SYSTEM on the person's
    behalf, inside the step's transaction); a line's own refusal names the line."""
    errors: dict[str, list[str]] = {}
    for n, line in enumerate(lines, 1):
        if not line.dirty_fields:
            continue
        try:
            line.save()
        except RuleViolation as exc:
            for field, msgs in exc.errors.items():
                errors[key(line, field)] = [_named(line, n, m) for m in msgs]
    if errors:
        raise RuleViolation(errors)


def _empty(value: Any) -> bool:
    """Not filled in (a received quantity of 0 is filled in: nothing arrived)."""
    return value is None or (isinstance(value, str) and not value.strip())


def problems(record: Any, t: WorkflowTransition) -> dict[str, list[str]]:
    """Why the record's lines do not do for `t` (empty: they do), keyed by line and field."""
    if t.lines is None:
        return {}
    form, errors = t.lines, {}
    labels = {f.field: f for f in [*form.show, *form.fields]}
    for n, line in enumerate(lines_of(record, form), 1):
        for f in form.fields:
            if f.required and f.applies(line) and _empty(getattr(line, f.field)):
                why = _("%(field)s: fill this in.", field=label_text(f.label))
                errors.setdefault(key(line, f.field), []).append(_named(line, n, why))
        for d in form.differences:
            got, expected = getattr(line, d.field), getattr(line, d.against)
            if _empty(got) or got == expected or not _empty(getattr(line, d.reason)):
                continue
            why = _(
                "%(reason)s: give a reason, %(field)s differs (%(got)s, not %(expected)s).",
                reason=_label(labels, d.reason),
                field=_label(labels, d.field),
                got=got,
                expected=expected,
            )
            errors.setdefault(key(line, d.reason), []).append(_named(line, n, why))
        for name in form.checks:
            for field, why in (_line_checks[(form.table, name)].fn(record, line) or {}).items():
                said = f"{label_text(labels[field].label)}: {why}" if field in labels else why
                errors.setdefault(key(line, field), []).append(_named(line, n, said))
    return errors


def _label(labels: dict[str, Any], field: str) -> str:
    return label_text(labels[field].label)  # start-up: a difference's field, reason are filled
