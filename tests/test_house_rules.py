"""Source checks for the house rules in DESIGN.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from models import GOVERNED as GOVERNED_MODELS
from models.staff import Staff

ROOT = Path(__file__).resolve().parent.parent
GOVERNED = tuple(m.__name__ for m in GOVERNED_MODELS)
BULK = re.compile(
    r"\b({})\.(update|insert|insert_many|insert_from|delete|replace|replace_many"
    r"|bulk_create|bulk_update)\(".format("|".join(GOVERNED))
)


def app_sources():
    for folder in ("models", "admin_views", "tasks", "printouts"):
        yield from (ROOT / folder).rglob("*.py")
    yield ROOT / "app.py"


def test_bulk_sql_on_governed_models_only_inside_rules():
    """Model.update()/insert_many()/delete() skip save() and so the rules: only rules/ may."""
    offenders = []
    for path in app_sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BULK.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "bulk SQL bypasses the rules; move it into rules/:\n" + "\n".join(
        offenders
    )


def test_rules_do_not_import_flask_or_wtforms():
    for path in (ROOT / "rules").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(flask|wtforms)", text, re.M), path


def test_models_do_no_role_checks_and_import_no_flask():
    for path in (ROOT / "models").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+flask", text, re.M), path
        assert ".roles &" not in text and "has_any(" not in text, path


def test_modules_stay_small():
    big = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in app_sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 330
    ]
    assert not big, "split these modules by business concern:\n" + "\n".join(big)


def test_login_bookkeeping_updates_only_bookkeeping_columns():
    """rules/login.py writes staff rows with plain UPDATEs (issue 7 item 10): parallel failed
    logins must not refuse each other's versioned save. That is allowed only for the login
    bookkeeping columns, which an ordinary save never writes (Staff.before_update)."""
    tree = ast.parse((ROOT / "rules" / "login.py").read_text(encoding="utf-8"))
    written = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "Staff"
        ):
            assert node.keywords and not node.args, "name each column written"
            written |= {k.arg for k in node.keywords}
    assert written and written <= set(Staff.BOOKKEEPING), written - set(Staff.BOOKKEEPING)
