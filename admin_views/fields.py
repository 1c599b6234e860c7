"""Form fields shared by several grids."""

from __future__ import annotations

from typing import Any

from wtforms import SelectMultipleField


class SpaceSeparatedField(SelectMultipleField):
    """Edit a space-separated keys column (e.g. Staff.roles) as a multi-select."""

    def process_data(self, value: Any) -> None:
        self.data = value.split() if isinstance(value, str) else list(value or [])

    def populate_obj(self, obj: Any, name: str) -> None:
        setattr(obj, name, " ".join(sorted(set(self.data or []))))

    def pre_validate(self, form: Any) -> None:
        """Unknown keys are reported by the rules with a clear message, not by WTForms."""


class StrongPassword:
    """Server-side password strength (rules/passwords.py): the message names the field,
    e.g. "New password: use at least 8 characters". An empty field is left to Optional()."""

    def __init__(self, username_field: str | None = None):
        self.username_field = username_field

    def __call__(self, form: Any, field: Any) -> None:
        from flask_login import current_user
        from wtforms.validators import ValidationError

        from rules.passwords import password_problems

        if not field.data:
            return
        named = getattr(form, self.username_field, None) if self.username_field else None
        if named is not None:
            username = named.data or ""
        else:
            username = current_user.staff.username if current_user.is_authenticated else ""
        problems = password_problems(field.data, username)
        if problems:
            raise ValidationError(f"{field.label.text}: " + "; ".join(problems))
