"""BaseModel: each save and delete runs `rules.enforce` and writes an audit row, atomically."""

from __future__ import annotations

import re
from typing import Any

from peewee import DateTimeField, ForeignKeyField, IntegerField, IntegrityError, Model

import rules
from models.audit import AuditLog, utcnow
from models.db import db, is_postgres
from rules.i18n import gettext as _
from rules.scope import in_scope


class BaseModel(Model):
    """A governed table: versioned, audited, and written only through the rules path."""

    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def model_key(cls) -> str:
        """The table's name in config.toml, e.g. "customer", "sales_order"."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def stored_values(self) -> dict[str, Any]:
        """The column values as they go to the database (FKs as ids)."""
        return {f.name: self.__data__.get(f.name) for f in self._meta.sorted_fields}

    @classmethod
    def _stored_row(cls, pk: Any) -> dict[str, Any] | None:
        query = cls.select().where(cls._meta.primary_key == pk)
        if is_postgres():
            query = query.for_update()
        row = query.dicts().first()
        if row is None:
            return None
        return {f.name: row.get(f.name) for f in cls._meta.sorted_fields}

    def unique_message(self, error: IntegrityError) -> dict[str, list[str]]:
        """Turn a UNIQUE violation into a field message; models override for a better one."""
        text = str(error).lower()
        for field in self._meta.sorted_fields:
            if field.unique and field.column_name in text:
                return {field.name: [_("This value is already used by another record.")]}
        return {"__all__": [_("This record conflicts with another one: %(error)s", error=error)]}

    def save(self, force_insert: bool = False, only: Any = None) -> int:
        """Insert or update through the rules; raise RuleViolation and write nothing if refused."""
        actor = rules.current_actor()
        creating = force_insert or self.get_id() is None
        old = None
        try:
            with db.atomic():
                if not creating:
                    old = self._stored_row(self.get_id())
                    if old is None:
                        raise rules.RuleViolation(_("This record no longer exists."))
                    if self.version != old["version"]:
                        raise rules.RuleViolation(
                            {
                                "__all__": [
                                    _(
                                        "Someone else saved this record after you opened "
                                        "it. Reload it and make your change again."
                                    )
                                ]
                            }
                        )
                if not creating:
                    self.before_update(old)
                rules.enforce(self, "create" if creating else "update", old)
                self.updated_at = utcnow()
                if not creating:
                    self.version = old["version"] + 1
                result = super().save(force_insert=force_insert, only=only)
                if not in_scope(type(self), self.get_id(), actor):
                    raise rules.RuleViolation(
                        _("After this change the record would be outside your scope.")
                    )
                AuditLog.record(self, "create" if creating else "update", old, actor)
                self.after_write("create" if creating else "update")
                return result
        except (IntegrityError, rules.RuleViolation) as exc:
            if old is not None:
                self.version = old["version"]
            if isinstance(exc, IntegrityError):
                raise rules.RuleViolation(self.unique_message(exc)) from exc
            raise

    def check_only(self) -> None:
        """Run the rules on this change without writing anything (raise RuleViolation): a
        form that WTForms refused still reports the rules' messages at the same time."""
        creating = self.get_id() is None
        with db.atomic() as transaction:
            try:
                old = None if creating else self._stored_row(self.get_id())
                rules.enforce(self, "create" if creating else "update", old)
            finally:
                transaction.rollback()

    def before_update(self, old: dict[str, Any]) -> None:
        """Adjust an update from the stored row `old`, inside its transaction (models override)."""

    def after_write(self, action: str) -> None:
        """Consequences of a write, inside the same transaction (models override)."""

    def delete_instance(self, recursive: bool = False, delete_nullable: bool = False) -> int:
        """Delete through the rules; raise RuleViolation and delete nothing if refused."""
        actor = rules.current_actor()
        try:
            with db.atomic():
                old = self._stored_row(self.get_id())
                if old is None:
                    raise rules.RuleViolation(_("This record no longer exists."))
                rules.enforce(self, "delete", old)
                result = super().delete_instance(recursive=False)
                AuditLog.record(self, "delete", old, actor)
                self.after_write("delete")
                return result
        except IntegrityError as exc:
            raise rules.RuleViolation(
                _("Other records still refer to this one; it cannot be deleted.")
            ) from exc


def fk_columns(model: type[Model]) -> list[ForeignKeyField]:
    """The foreign keys of `model`, in declaration order."""
    return [f for f in model._meta.sorted_fields if isinstance(f, ForeignKeyField)]
