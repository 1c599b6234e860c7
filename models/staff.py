"""Staff, their roles, and the places they work (HQ warehouse, stores)."""

from __future__ import annotations

from typing import Any

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import BaseModel

# werkzeug's default (scrypt); tests lower the cost, the app never does.
PASSWORD_METHOD = "scrypt"

LOCATION_KINDS = (("warehouse", "Warehouse"), ("store", "Store"))


class Location(BaseModel):
    """A stock-holding place: the HQ warehouse or a store (专卖店)."""

    code = CharField(max_length=20, unique=True)
    name = CharField(max_length=80)
    kind = CharField(max_length=10, default="store")
    address = CharField(max_length=200, default="")
    phone = CharField(max_length=40, default="")
    active = BooleanField(default=True)

    label_fields = ("name",)  # what __str__ shows: all a grid joins of a location

    def __str__(self) -> str:
        return self.name


class Staff(BaseModel):
    """A person who logs in. Roles are space-separated role keys from config [roles]."""

    username = CharField(max_length=40, unique=True)
    display_name = CharField(max_length=80)
    password_hash = CharField(max_length=256, default="")
    roles = CharField(max_length=200, default="")
    store = ForeignKeyField(Location, null=True, backref="staff", on_delete="RESTRICT")
    active = BooleanField(default=True)
    locale = CharField(max_length=10, default="")
    phone = CharField(max_length=20, default="")
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)
    # Bumped by logout and by a new password: a session from an older epoch is over.
    session_epoch = IntegerField(default=0)

    class Meta:
        audit_redact = {"password_hash"}

    # Written only by rules/login.py, one atomic UPDATE each; a save keeps the stored values.
    BOOKKEEPING = ("failed_logins", "locked_until", "last_login_at", "session_epoch")
    label_fields = ("username", "display_name")  # all a grid joins of a person

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset((self.roles or "").split())

    def set_roles(self, roles: list[str] | set[str]) -> None:
        self.roles = " ".join(sorted(set(roles)))

    def before_update(self, old: dict[str, Any]) -> None:
        """Keep the login bookkeeping as stored; a new password ends every session."""
        for name in self.BOOKKEEPING:
            setattr(self, name, old[name])
        if self.password_hash != old["password_hash"]:
            self.session_epoch = old["session_epoch"] + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @classmethod
    def with_role(cls, role: str):
        """Active staff holding `role`."""
        padded = " " + cls.roles.concat(" ")
        return cls.select().where(cls.active & (padded.contains(f" {role} ")))
