"""Issue 8, item 2: rule and effect modules are found by convention (every module of the
`rules` package, and of rules/effects/), never listed; a governed table left with no rules
stops start-up naming it; test-only processes are never found in production."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import rules
from app import load
from models import GOVERNED
from rules import scope as scope_module
from rules.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_of_the_rules_package_is_loaded_at_start_up():
    """A new file under rules/ (or rules/effects/) needs no list: loading finds it."""
    code = (
        "import sys, pkgutil, app, rules, rules.effects\n"
        "app.load()\n"
        "def walk(p): return [f'{p.__name__}.{m.name}' for m in pkgutil.iter_modules(p.__path__)]\n"
        "found = walk(rules) + walk(rules.effects)\n"
        "print(sorted(set(found) - set(sys.modules)))\n"
        "print(sorted(m for m in sys.modules if m.startswith('tests')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "[]"]  # every rule module loaded; no test-only process found


def test_each_governed_table_has_rules_from_some_module(app):
    names = {m.name for m in pkgutil.iter_modules(rules.__path__)}
    assert {"customers", "sales", "followups", "stock"} <= names
    assert rules.check_governed([m.model_key() for m in GOVERNED]) == []


def test_a_governed_table_whose_rules_are_gone_stops_start_up(app, monkeypatch):
    """Deleting rules/followups.py would leave follow-up tasks with no row scope: start-up
    names the table instead of serving every task to everyone."""
    monkeypatch.delitem(scope_module._builders, "follow_up_task")
    monkeypatch.delitem(rules._checks, "follow_up_task")  # its assignee check went with it
    try:
        with pytest.raises(ConfigError) as caught:
            load()
        assert caught.value.errors == [
            "models.follow_up_task: governed table has no rules: add a module under rules/ that"
            ' registers a check (@rules.register("follow_up_task")) or a row scope'
            ' (@scope("follow_up_task", role))'
        ]
    finally:
        monkeypatch.undo()
        load()


def test_check_config_names_the_table_too(app, monkeypatch):
    monkeypatch.setitem(rules._checks, "product", [])
    from app import check_config

    result = app.test_cli_runner().invoke(check_config, [])
    assert result.exit_code == 1
    assert "models.product: governed table has no rules" in result.output
