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
