"""Nothing English in the Chinese UI, nothing Chinese in the English one, no raw field names
(README "Languages"; issue 9, item 3).

Every demo role, in each language, opens every page the registered Flask-Admin views offer it:
home, each grid's list, its create form (also sent empty, to read the refusal), and the details
and edit form of a row it can see, plus every plain page (reports, inbox). The page list comes
from `admin._views`, so a new grid is covered without touching this test. A page fails on a
snake_case identifier shown as text, and on text that the other language's catalogue (ours and
Flask-Admin's) would have put differently.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import flask_admin
import pytest
from babel.messages.pofile import read_po
from flask_admin.model import BaseModelView

from tests.conftest import Client, system

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = (
    ROOT / "admin_views/translations/zh_Hans_CN/LC_MESSAGES/messages.po",
    Path(flask_admin.__file__).parent / "translations/zh_Hans_CN/LC_MESSAGES/admin.po",
)
ROLES = (
    "owner",
    "sales1",
    "supervisor",
    "finance",
    "warehouse",
    "store1",
    "marketing",
    "reception",
)
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label"}
SNAKE = re.compile(r"(?<![\w./:@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./@-])")
CJK = re.compile(r"[\u4e00-\u9fff]+")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|%[sd]")
# The same in both languages: names, codes and units that are not words of either.
SAME = {"ID", "VIP", "SKU", "CSV", "XLSX", "PDF", "MingCRM", "English", "简体中文"}


class Text(HTMLParser):
    """The text a person reads: text nodes and a few attribute values. Scripts and styles are
    skipped; Flask-Admin's hidden stores are read as what they show: the filter menu and other
    JSON stores, and the blank inline row (escaped HTML, shown when "Add" is pressed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0
        self._store = ""  # the kind of hidden store being read
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        ident = attributes.get("id") or ""
        if ident == "filter-groups-data":
            self._store = "filters"
        elif ident == "active-filters-data":
            self._store = "ignore"  # the chosen values, stored keys shown by the menu above
        elif ident.endswith("-data"):  # action confirmations, the "select a record" message
            self._store = "json"
        elif "inline-field-template" in (attributes.get("class") or ""):
            self._store = "inline"
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and not self._store:
                self.nodes.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "div" and self._store:
            text, kind = "".join(self._buffer), self._store
            self._store, self._buffer = "", []
            if kind == "filters":
                self.nodes += filter_menu(json.loads(text))
            elif kind == "json":
                self.nodes += json_texts(json.loads(text))
            elif kind == "inline":
                self.nodes += shown(text)

    def handle_data(self, data: str) -> None:
        if self._store:
            self._buffer.append(data)
        elif not self._skip and data.strip():
            self.nodes.append(" ".join(data.split()))


def json_texts(value: object) -> list[str]:
    """The texts a JSON store holds for display: its strings (not its keys)."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [text for item in items for text in json_texts(item)]


def filter_menu(groups: dict) -> list[str]:
    """What the filter menu shows: column names, operations and the choices' labels."""
    texts = list(groups)
    for filters in groups.values():
        for one in filters:
            texts.append(one["operation"])
            texts += [label for _value, label in one.get("options") or ()]
    return [str(t) for t in texts]


def shown(page: str) -> list[str]:
    parser = Text()
    parser.feed(page)
    return parser.nodes


def catalogue() -> dict[str, str]:
    """msgid -> zh msgstr, where the two differ (what each language must not show of the other)."""
    pairs: dict[str, str] = {}
    for path in CATALOGS:
        with open(path, "rb") as fh:
            for message in read_po(fh):
                if not message.id or isinstance(message.id, tuple) or not message.string:
                    continue
                if message.string != message.id and not message.fuzzy:
                    pairs[message.id] = message.string
    return pairs


def fragments(text: str) -> list[str]:
    """The fixed pieces of a message around its placeholders, long enough to be telling."""
    return [part.strip() for part in PLACEHOLDER.split(text) if len(part.strip()) >= 2]


class Judge:
    """Decides whether a text node leaks the other language or a raw field name."""

    def __init__(self, record_data: set[str]) -> None:
        pairs = catalogue()
        self.record_data = record_data
        self.runs = {run for datum in record_data for run in CJK.findall(datum)}
        # English msgids that are words (not codes or the same in both languages)
        self.english = {
            part
            for msgid in pairs
            for part in fragments(msgid)
            if re.search(r"[A-Za-z]{2}", part) and part not in SAME
        }
        self.chinese = {part for msgstr in pairs.values() for part in fragments(msgstr)}

    def leaks(self, node: str, locale: str) -> list[str]:
        if node in self.record_data:
            return []
        found = [f"raw name {m!r} in {node!r}" for m in SNAKE.findall(node) if not self._datum(m)]
        if locale == "zh_CN":
            words = [w for w in re.findall(r"[A-Za-z][A-Za-z']+", node) if w not in SAME]
            if node in self.english or any(not self._datum(w) for w in words):
                found.append(f"English {node!r}")
        else:
            runs = [r for r in CJK.findall(node) if r not in SAME]
            if node in self.chinese or any(not self._datum(r) for r in runs):
                found.append(f"Chinese {node!r}")
        return found

    def _datum(self, text: str) -> bool:
        """Part of a stored value (a name, an address), not a word of the interface."""
        return text in self.runs or any(text in datum for datum in self.record_data)


KEY = re.compile(r"^[a-z][a-z0-9_:/]*$")  # looks like a stored key ("draft", "sales_order:12")


def record_data() -> set[str]:
    """Every stored text people typed or were given: names, addresses, notes, messages,
    usernames. Not the audit trail's or logs' contents, nor a column of keys (its key-like
    values repeat: states, kinds, reasons), which must never show as stored."""
    import rules
    from models import GOVERNED, OwnershipChange, Transition

    company = rules.settings().company
    values: set[str] = {company.name, company.name_en or company.name}
    for model in [*GOVERNED, OwnershipChange, Transition]:
        for field in model._meta.sorted_fields:
            if field.field_type not in ("VARCHAR", "TEXT"):
                continue
            column = [v for (v,) in model.select(field).tuples() if isinstance(v, str) and v]
            keys = len(set(column)) < len(column)
            values.update(" ".join(v.split()) for v in column if not (keys and KEY.match(v)))
    return values


def pages(app, c: Client) -> list[str]:
    """Every page the registered views offer this person: home, lists, forms, a row's pages."""
    admin = app.extensions["admin"][0]
    urls = ["/admin/"]
    for view in admin._views:
        if view.endpoint == "admin":
            continue
        if not isinstance(view, BaseModelView):
            urls.append(view.url + "/")
            continue
        listing = c.get(view.url + "/")
        if listing.status_code != 200:
            continue
        urls.append(view.url + "/")
        page = listing.get_data(as_text=True)
        urls.append(view.url + "/new/")  # skipped below when this person may not create
        for kind in ("details", "edit"):
            row = re.search(rf'href="{re.escape(view.url)}/{kind}/\?id=(\d+)', page)
            if row:
                urls.append(f"{view.url}/{kind}/?id={row.group(1)}")
        row = re.search(r'name="rowid"[^>]*value="(\d+)"', page)
        if row and hasattr(view, "reason_view"):  # reject / cancel with a reason (actions)
            urls += [
                f"{view.url}/reason/?verb={v}&ids={row.group(1)}" for v in ("reject", "cancel")
            ]
    return urls


@pytest.fixture
def demo(app):
    from models.demo import DEMO_PASSWORD, seed

    with system():
        seed(customers=20)
        data = record_data()
    return DEMO_PASSWORD, data


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_page_speaks_one_language(app, demo, locale):
    password, data = demo
    judge = Judge(data)
    problems: dict[str, set[str]] = {}
    opened: set[str] = set()
    for role in ROLES:
        c = Client(app.test_client())
        assert c.login(role, password).status_code == 302
        c.post("/locale", {"locale": locale, "next": "/admin/"})
        for url in pages(app, c):
            response = c.get(url)
            if response.status_code in (302, 403, 404):
                continue
            assert response.status_code == 200, (role, url, response.status_code)
            opened.add(url.split("?")[0])
            shown_pages = [response]
            if url.endswith("/new/"):  # sent empty: the refusal and its messages
                shown_pages.append(c.post(url, {}))
            for page in shown_pages:
                for node in shown(page.get_data(as_text=True)):
                    for leak in judge.leaks(node, locale):
                        problems.setdefault(leak, set()).add(f"{role} {url.split('?')[0]}")
    admin = app.extensions["admin"][0]
    unopened = {v.url + "/" for v in admin._views} - opened
    assert not unopened, f"no role could open {unopened}"  # the crawl reached every view
    assert any(u.endswith("/details/") for u in opened) and any("/reason/" in u for u in opened)
    report = "\n".join(
        f"{leak}  ({', '.join(sorted(where)[:3])})" for leak, where in problems.items()
    )
    assert not problems, f"{len(problems)} leaks in {locale}:\n{report}"
