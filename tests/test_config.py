"""Config is validated at start-up; a bad file names the key (issue 2 §2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from rules.config import DEFAULT_CONFIG, ConfigError

ROOT = Path(__file__).resolve().parent.parent


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in config.toml"
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BAD = [
    (
        'required = ["name", "phone", "gender", "address"]',
        'required = ["name", "phone", "gender", "adress"]',
        'rules.customer.required[3]: customer has no field "adress"',
    ),
    ('name = "大明健康产品有限公司"', 'nmae = "大明健康产品有限公司"', "company.nmae: unknown key"),
    (
        'delete = ["owner"]\nexport = ["owner", "warehouse"]',
        'delete = ["ownr"]\nexport = ["owner", "warehouse"]',
        'permissions.location.delete[0]: no role "ownr" in [roles]',
    ),
    (
        'timezone = "Asia/Shanghai"',
        'timezone = "Asia/Shanghia"',
        'app.timezone: Value error, unknown time zone "Asia/Shanghia"',
    ),
    (
        'backup_database = "30 2 * * *"',
        'backup_databse = "30 2 * * *"',
        'tasks.schedule.backup_databse: no job called "backup_databse"',
    ),
    (
        'backup_database = "30 2 * * *"',
        'backup_database = "30 2 * *"',
        'tasks.schedule.backup_database: "30 2 * *" is not a 5-part cron line',
    ),
    (
        "page_size = 50",
        "page_size = 5",
        "app.page_size: Input should be greater than or equal to 10",
    ),
    (
        'url = "sqlite:///instance/mingcrm.db"',
        'url = "mysql://x"',
        'database.url: Value error, must start with "sqlite:///" or "postgresql://"',
    ),
    ("[rules.customer]", "[rules.customers]", 'rules.customers: no table called "customers"'),
    ('see_all = ["owner",', 'see_all = ["boss",', 'scope.see_all[0]: no role "boss" in [roles]'),
]


@pytest.mark.parametrize("old,new,message", BAD)
def test_bad_config_fails_create_app_naming_the_key(tmp_path, old, new, message):
    with pytest.raises(ConfigError) as exc:
        create_app(variant(tmp_path, old, new))
    assert message in exc.value.errors


def test_toml_syntax_error_names_the_line(tmp_path):
    path = variant(tmp_path, "[app]", "[app")
    with pytest.raises(ConfigError, match="line"):
        create_app(path)


def test_the_shipped_config_is_valid(tmp_path):
    create_app(overrides={"database": {"url": f"sqlite:///{tmp_path}/x.db"}})


def flask_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_check_config_cli_prints_ok_or_the_errors(tmp_path):
    ok = flask_cli("check-config")
    assert ok.returncode == 0 and ok.stdout.strip() == "OK"
    bad = flask_cli("check-config", str(variant(tmp_path, *BAD[0][:2])))
    assert bad.returncode == 1
    assert BAD[0][2] in bad.stdout


def test_mingcrm_config_selects_another_file(tmp_path):
    bad = variant(tmp_path, *BAD[1][:2])
    result = flask_cli("check-config", env={"MINGCRM_CONFIG": str(bad)})
    assert result.returncode == 1 and "company.nmae: unknown key" in result.stdout


def test_other_commands_refuse_a_bad_config_with_the_key_not_a_traceback(tmp_path):
    bad = variant(tmp_path, *BAD[0][:2])
    result = flask_cli("migrate", env={"MINGCRM_CONFIG": str(bad)})
    assert result.returncode == 1
    assert BAD[0][2] in result.stderr and "Traceback" not in result.stderr


def test_secret_key_is_not_in_the_repo():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    assert "instance/secret_key" not in tracked.stdout
    assert "SECRET_KEY=" not in (ROOT / "app.py").read_text().replace("SECRET_KEY=_secret", "")
