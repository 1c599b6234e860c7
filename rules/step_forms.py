"""Step forms (issue 8, item 5): the fields a transition's person fills in at that step.

A transition declares them in `[workflows.<table>]` (`form = [{field, label, required, when}]`);
they are stored on the record. `fill` puts the submitted values on the record; `problems` is
the one required/validity check, run by the save check of every transition (`rules.approval`),
so a form, a bulk step or an import that skips a required field is refused naming it. A process
module may add a check or a list of choices for one field with `@field_check`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rules import RuleViolation
from rules.i18n import gettext as _
from rules.i18n import locale
from rules.workflow_config import StepField, WorkflowTransition


@dataclass(frozen=True)
class FieldCheck:
    fn: Callable[[Any, Any], str | None]  # (record, value) -> why it is wrong, or None
    choices: Callable[[], list[str]] | None = None


_checks: dict[tuple[str, str], FieldCheck] = {}


def field_check(table: str, field: str, *, choices: Callable[[], list[str]] | None = None):
    """Decorator: register `fn(record, value) -> message | None` for a step-form field."""

    def deco(fn: Callable[[Any, Any], str | None]) -> Callable[[Any, Any], str | None]:
        _checks[(table, field)] = FieldCheck(fn, choices)
        return fn

    return deco


def choices(table: str, field: str) -> list[str] | None:
    """The allowed values of a step-form field (None: free input)."""
    found = _checks.get((table, field))
    return found.choices() if found and found.choices else None


def field_label(f: StepField) -> str:
    """The field's label in the current language (its messages start with it)."""
    RuleViolation.self_named.add(f.field)
    return label_text(f.label)


def label_text(label: Any) -> str:
    """A configured `{en, zh_CN}` label in the current language."""
    return label.zh_CN if locale.get().startswith("zh") else label.en


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == 0


def convert(obj: Any, f: StepField, raw: Any) -> None:
    """Put one submitted value on `obj` (the record or a line), as its column's kind; refuse a
    value of the wrong kind. A number left empty leaves the stored value (or the default)."""
    raw = raw.strip() if isinstance(raw, str) else raw
    kind = getattr(obj._meta.fields[f.field], "field_type", "")
    if kind in ("DECIMAL", "INT", "BIGINT", "SMALLINT"):
        if raw in (None, ""):
            return
        try:
            raw = Decimal(str(raw)) if kind == "DECIMAL" else int(str(raw))
        except (InvalidOperation, ValueError):
            raise RuleViolation(
                {f.field: [_("%(field)s: enter a number.", field=field_label(f))]}
            ) from None
    setattr(obj, f.field, raw)


def fill(record: Any, t: WorkflowTransition, values: dict[str, Any]) -> None:
    """Put the submitted step-form values on the record; refuse a value of the wrong kind."""
    errors: dict[str, list[str]] = {}
    for f in t.form:
        if f.field in values:
            try:
                convert(record, f, values[f.field])
            except RuleViolation as exc:
                errors.update(exc.errors)
    if errors:
        raise RuleViolation(errors)


def problems(record: Any, t: WorkflowTransition) -> dict[str, list[str]]:
    """Why the record's step-form fields do not do for `t` (empty: they do)."""
    errors: dict[str, list[str]] = {}
    table = record.model_key()
    for f in t.form:
        if not f.applies(record):
            continue
        value = getattr(record, f.field)
        if _empty(value):
            if f.required:
                errors[f.field] = [_("%(field)s: fill this in.", field=field_label(f))]
            continue
        allowed = choices(table, f.field)
        if allowed is not None and value not in allowed:
            errors[f.field] = [
                _("%(field)s: choose one of %(choices)s.", field=field_label(f),
                  choices="、".join(allowed))
            ]  # fmt: skip
            continue
        check = _checks.get((table, f.field))
        why = check.fn(record, value) if check else None
        if why:
            errors[f.field] = [f"{field_label(f)}: {why}"]
    return errors


def required_fields(t: WorkflowTransition) -> list[StepField]:
    """The step-form fields a set-based step could not fill in (it has no form): the record's
    and its lines' (`rules.step_lines`)."""
    lines = [f for f in t.lines.fields if f.required] if t.lines else []
    return [f for f in t.form if f.required] + lines
