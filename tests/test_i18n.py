"""Translations: the catalogs are complete and current, and pages and rule messages follow the
chosen language (zh_CN by default, en after switching).

Babel parses "zh_CN" as zh_Hans_CN, and gettext looks for zh_Hans_CN then zh, never zh_CN:
so the Chinese catalog lives in translations/zh_Hans_CN, as Flask-Admin's own does.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from rules import i18n

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "admin_views" / "translations"
POT = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
ALL_PO = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
FORM = {"name": "新客户", "phone": "137 0000 1111", "gender": "F", "address": "上海市黄浦区"}


def read_catalog(path: Path):
    with open(path, "rb") as fh:
        return read_po(fh)


def placeholders(text: str) -> set[tuple[str, str]]:
    return set(PLACEHOLDER.findall(text))


def forms(value: str | tuple | list) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def text(response) -> str:
    return response.get_data(as_text=True)


# -- the catalogs ---------------------------------------------------------------------------
def test_the_chinese_catalog_is_where_babel_looks_for_zh_CN():
    assert ALL_PO, "no admin_views/translations/*/LC_MESSAGES/messages.po"
    assert ZH_PO.exists()
    assert Locale.parse("zh_CN") == Locale.parse(ZH_PO.parent.parent.name)
    assert read_catalog(ZH_PO).locale == Locale.parse("zh_CN")


@pytest.mark.parametrize("po", ALL_PO, ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated_and_keeps_its_placeholders(po):
    catalog = read_catalog(po)
    assert not catalog.fuzzy, f"{po}: the header is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        msgid = forms(message.id)[0]
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        strings = forms(message.string)
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {msgid!r}")
            continue
        wanted = set().union(*(placeholders(i) for i in forms(message.id)))
        for s in strings:
            if placeholders(s) != wanted:
                problems.append(f"placeholders {sorted(wanted)} differ in {msgid!r} -> {s!r}")
    assert not problems, f"{po}:\n" + "\n".join(problems)


def _makefile_keywords() -> list[str]:
    """The -k keywords of the `make messages` extract command (one source of truth)."""
    line = next(
        (ln for ln in (ROOT / "Makefile").read_text().splitlines() if "pybabel extract" in ln),
        None,
    )
    assert line, "Makefile: no `pybabel extract` line in the messages target"
    return re.findall(r"-k\s+(\S+)", line)


def test_the_pot_lists_exactly_the_strings_in_the_source(tmp_path):
    fresh = tmp_path / "messages.pot"
    args = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(fresh)]
    for keyword in _makefile_keywords():
        args += ["-k", keyword]
    CommandLineInterface().run([*args, str(ROOT)])  # babel.cfg patterns are relative to ROOT
    source = {m.id for m in read_catalog(fresh) if m.id}
    committed = {m.id for m in read_catalog(POT) if m.id}
    new, gone = sorted(map(str, source - committed)), sorted(map(str, committed - source))
    assert source == committed, (
        "admin_views/translations/messages.pot is out of date: run `make messages`, then "
        "translate the new entries in admin_views/translations/*/LC_MESSAGES/messages.po.\n"
        f"new in the source: {new}\nno longer in the source: {gone}"
    )
    for po in ALL_PO:
        ids = {m.id for m in read_catalog(po) if m.id}
        assert ids == committed, f"{po} does not match messages.pot: run `make messages`"


# -- the running app ------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile any .po whose .mo is missing or older (what `make translations` does)."""
    for po in ALL_PO:
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, read_catalog(po))
        os.replace(tmp, mo)  # atomic: a concurrent reader never sees half a file
    i18n._catalog.cache_clear()  # a rule message catalog loaded before compiling is stale
    yield


def test_rule_messages_load_the_same_catalog():
    catalog = Translations.load(str(TRANSLATIONS), [Locale.parse("zh_CN")], domain="messages")
    assert catalog.gettext("This field is required.") != "This field is required."
    token = i18n.locale.set("zh_CN")
    try:
        assert i18n.gettext("This field is required.") == catalog.gettext("This field is required.")
        assert "Sales1" in i18n.gettext(
            "This phone already belongs to a customer owned by %(owner)s.", owner="Sales1"
        )
    finally:
        i18n.locale.reset(token)


def test_pages_are_in_chinese_by_default(as_user):
    c = as_user("sales1")
    home = text(c.get("/admin/"))
    assert "欢迎，Sales1" in home and "Welcome" not in home
    assert "退出登录" in home and "Log out" not in home
    assert "我的工作" in home
    grid = text(c.get("/admin/customer/"))
    # Flask-Admin's own strings, from its zh_Hans_CN catalog
    assert "导出" in grid and ">Export<" not in grid
    assert "列表" in grid
    # our column labels
    assert "手机号" in grid and "Mobile" not in grid
    assert "负责人" in grid


def test_switching_to_english(as_user):
    c = as_user("sales1")
    response = c.post("/locale", {"locale": "en", "next": "/admin/"})
    assert response.status_code == 302
    home = text(c.get("/admin/"))
    assert "Welcome, Sales1" in home and "Log out" in home
    assert "欢迎" not in home and "退出登录" not in home
    grid = text(c.get("/admin/customer/"))
    assert "Export" in grid and "List" in grid and "Mobile" in grid
    assert "导出" not in grid and "手机号" not in grid
    c.post("/locale", {"locale": "zh_CN", "next": "/admin/"})
    assert "退出登录" in text(c.get("/admin/"))


def test_rule_messages_follow_the_language(as_user, world):
    c = as_user("sales2")
    duplicate = {**FORM, "phone": "13900000001"}  # world.c_sales1's phone
    page = text(c.post("/admin/customer/new/", duplicate))
    assert "该手机号已属于 Sales1 负责的客户。" in page
    assert "already belongs" not in page
    page = text(c.post("/admin/customer/new/", {**FORM, "address": ""}))
    assert "此项为必填项。" in page

    c.post("/locale", {"locale": "en", "next": "/admin/"})
    page = text(c.post("/admin/customer/new/", duplicate))
    assert "This phone already belongs to a customer owned by Sales1." in page
