"""Custom fields (issue 10, item 4): the owner's own columns on a governed table.

This module holds the definitions in force (filled by models/custom_fields.py when it loads
them from the database), validates a new definition, and checks a write against the required
ones. A required custom field applies to new rows and to saves that change it; an old row
without it is flagged "to complete" (its unrelated saves: claims, follow-ups, jobs, workflow
effects, keep working).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rules import Actor
from rules.i18n import gettext as _

PREFIX = "x_"
KINDS = ("text", "number", "money", "date", "choice", "yesno", "link")
REQUIRED = ("no", "soft", "hard")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,28}$")
_CHOICE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Definition:
    """One custom field as the rules see it (no database, no Flask)."""

    table: str
    name: str  # the column, always starting with PREFIX
    kind: str
    label_en: str
    label_zh: str
    required: str = "no"
    choices: tuple[tuple[str, str, str], ...] = ()  # (key, English label, Chinese label)
    link: str = ""  # the linked table's key, for kind "link"
    hidden: bool = False
    id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") and self.label_zh else self.label_en


# table key -> the visible definitions in force in this process
ACTIVE: dict[str, list[Definition]] = {}


def active(table: str) -> list[Definition]:
    return ACTIVE.get(table, [])


def column_name(raw: str) -> str:
    """The column for a name the owner typed: lower case, always with the x_ prefix."""
    name = (raw or "").strip().lower()
    return name if name.startswith(PREFIX) else PREFIX + name


def parse_choices(text: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """One choice a line: `key | English | 中文`; return (choices, messages)."""
    choices: list[tuple[str, str, str]] = []
    errors: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        key = parts[0]
        en = parts[1] if len(parts) > 1 and parts[1] else key
        zh = parts[2] if len(parts) > 2 and parts[2] else en
        if not _CHOICE_KEY.match(key):
            errors.append(
                _(
                    'Choice line %(number)s: "%(key)s" is not a valid key (letters, digits, '
                    "_ or -).",
                    number=number,
                    key=key,
                )
            )
        elif key in {c[0] for c in choices}:
            errors.append(_('Choice line %(number)s: "%(key)s" twice.', number=number, key=key))
        else:
            choices.append((key, en, zh))
    return choices, errors


def validate(definition: Definition, tables: set[str], taken: set[str]) -> dict[str, list[str]]:
    """Messages per form field for a new definition; `taken` are the table's columns."""
    errors: dict[str, list[str]] = {}
    bare = definition.name[len(PREFIX) :]
    if definition.table not in tables:
        errors["table"] = [_("Choose one of the tables offered.")]
    if not _NAME.match(bare):
        errors["name"] = [
            _(
                "Use 1 to 29 lower-case letters, digits or _ (starting with a letter), "
                'e.g. "vip_source".'
            )
        ]
    elif definition.name in taken:
        errors["name"] = [_("This table already has a field with that name.")]
    if definition.kind not in KINDS:
        errors["kind"] = [_("Choose one of the kinds offered.")]
    if not definition.label_en.strip():
        errors["label_en"] = [_("This field is required.")]
    if not definition.label_zh.strip():
        errors["label_zh"] = [_("This field is required.")]
    if definition.required not in REQUIRED:
        errors["required"] = [_("Choose one of the options offered.")]
    if definition.kind == "choice" and not definition.choices:
        errors["choices"] = [_("A choice field needs at least one choice.")]
    if definition.kind == "link" and definition.link not in tables:
        errors["link"] = [_("Choose the table this field links to.")]
    return errors


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_custom_required(record: Any, action: str, old: dict | None, actor: Actor) -> dict | None:
    """Hard-required: refuse a new row without it, or a save that blanks it. Every required
    one still blank flags the row "to complete" (when the table has that flag)."""
    if action == "delete":
        return None
    errors: dict[str, list[str]] = {}
    flag = False
    for d in active(record.model_key()):
        if d.required == "no":
            continue
        value = record.__data__.get(d.name)
        if not _blank(value):
            continue
        flag = True
        changed = old is None or not _blank(old.get(d.name))
        if d.required == "hard" and changed:
            errors[d.name] = [_("This field is required.")]
    if flag and "incomplete" in type(record)._meta.fields:
        record.incomplete = True
    return errors or None
