"""Translate rule messages without Flask: the request (or CLI) sets the locale in a contextvar."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "admin_views" / "translations"

locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default="en")


@lru_cache(maxsize=8)
def _catalog(name: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [Locale.parse(name)], domain="messages")


def gettext(message: str, **params: object) -> str:
    """Translate `message` into the current locale and fill in %(name)s params."""
    text = _catalog(locale.get()).gettext(message)
    return text % params if params else text


@contextmanager
def speaking(name: str) -> Iterator[None]:
    """Translate in `name` inside the block (a message written for someone else)."""
    token = locale.set(name)
    try:
        yield
    finally:
        locale.reset(token)


def N_(message: str) -> str:
    """Mark a string for extraction; translated later with gettext()."""
    return message
