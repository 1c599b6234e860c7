"""Load and validate config.toml: shape by pydantic, cross-references against the real models."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rules.workflow_config import Workflow, rewrite_approval

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_DIR / "config.toml"


class ConfigError(Exception):
    """A config file that cannot be used; each message starts with the key path."""

    def __init__(self, errors: list[str], source: str = "config"):
        self.errors = errors
        self.source = source
        super().__init__(f"{source}: " + "; ".join(errors))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Section):
    name: str = Field(min_length=1)
    name_en: str = ""
    address: str = ""
    phone: str = ""
    tax_id: str = ""


class AppSection(_Section):
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    timezone: str = "Asia/Shanghai"
    page_size: int = Field(50, ge=10, le=500)
    estimate_count_above: int = Field(100_000, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f'unknown time zone "{value}"') from exc
        return value


class DatabaseSection(_Section):
    url: str = "sqlite:///instance/mingcrm.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError('must start with "sqlite:///" or "postgresql://"')
        return value


class TasksSection(_Section):
    url: str = "sqlite:///instance/jobs.db"
    # Keys in the queue store start with this name: installations sharing one Redis keep apart.
    queue_name: str = Field("mingcrm", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    workers: int = Field(2, ge=1, le=32)
    immediate: bool = False
    # A job's lock expires by itself after this long, so a run killed mid-way (power cut,
    # kill -9) cannot block its job for ever. Keep it well above the slowest run.
    lock_minutes: int = Field(360, ge=1, le=24 * 60)
    # A step with effects on more records than this runs as a job, this many per transaction.
    bulk_batch: int = Field(500, ge=1, le=10000)
    # A bulk run with no finished batch for this long lost its worker: shown stalled, resumable.
    # Keep it well above the slowest batch.
    bulk_stall_minutes: int = Field(30, ge=1, le=24 * 60)
    schedule: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "redis://", "memory://")):
            raise ValueError('must start with "sqlite:///", "redis://" or "memory://"')
        return value


class BackupSection(_Section):
    keep: int = Field(7, ge=1, le=365)


class ExportsSection(_Section):
    # An export of more rows than this (the person's scope, search and filters) runs as a job:
    # a progress page, then the file from the inbox. Smaller exports stream at once.
    job_rows: int = Field(50000, ge=1, le=100_000_000)
    # Where the job writes its files (relative paths are under the project folder); web and
    # job processes must share it.
    folder: str = Field("instance/exports", min_length=1)
    # The clean_exports job removes files finished longer ago than this.
    keep_days: int = Field(7, ge=1, le=365)


class SecuritySection(_Section):
    max_failed_logins: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    idle_minutes: int = Field(30, ge=1, le=24 * 60)
    secure_cookies: bool = False  # true behind HTTPS: the browser sends cookies over HTTPS only


class PrintingSection(_Section):
    font: str = ""
    system_fonts: bool = True


class RoleLabel(_Section):
    en: str = Field(min_length=1)
    zh_CN: str = Field(min_length=1)


class Permission(_Section):
    view: list[str] = []
    create: list[str] = []
    edit: list[str] = []
    delete: list[str] = []
    export: list[str] = []


class ApprovalStep(_Section):
    state: str = Field(min_length=1)
    by: list[str] = Field(min_length=1)

    @field_validator("by", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ModelRules(_Section):
    required: list[str] = []
    soft_required: list[str] = []
    approval: list[ApprovalStep] = []
    allow_self_approval: bool = False


class SalesSection(_Section):
    number_prefix: str = Field("SO", min_length=1, max_length=6)
    discount_limit_percent: Decimal = Field(Decimal("10"), ge=0, le=100)
    points_per_yuan: Decimal = Field(Decimal("1"), ge=0)
    yuan_per_point: Decimal = Field(Decimal("0.01"), ge=0)
    ship_from: str = "WH01"
    # the couriers a shipper chooses from at the ship step (printed on the express waybill)
    couriers: list[str] = ["顺丰速运", "中通快递", "圆通速递", "韵达快递", "京东物流", "EMS"]


class CustomersSection(_Section):
    reclaim_after_days: int = Field(30, ge=1, le=3650)
    warn_days_before: int = Field(5, ge=0, le=365)
    exempt_recent_deal_days: int = Field(0, ge=0, le=3650)
    max_customers_per_owner: int = Field(500, ge=1)
    claim_cooldown_days: int = Field(0, ge=0, le=3650)
    followup_interval_days: int = Field(14, ge=1, le=3650)
    ending_soon_days: int = Field(7, ge=0, le=365)
    level_reclaim_days: dict[str, int] = {}

    def reclaim_days(self, level: str) -> int:
        """The reclaim limit for a customer level (the default when no stricter one is set)."""
        return self.level_reclaim_days.get(level, self.reclaim_after_days)


class ScopeSection(_Section):
    see_all: list[str] = ["owner"]


class Settings(_Section):
    company: Company
    app: AppSection = AppSection()
    database: DatabaseSection = DatabaseSection()
    tasks: TasksSection = TasksSection()
    backup: BackupSection = BackupSection()
    exports: ExportsSection = ExportsSection()
    security: SecuritySection = SecuritySection()
    printing: PrintingSection = PrintingSection()
    roles: dict[str, RoleLabel]
    customers: CustomersSection = CustomersSection()
    sales: SalesSection = SalesSection()
    scope: ScopeSection = ScopeSection()
    permissions: dict[str, Permission] = {}
    rules: dict[str, ModelRules] = {}
    workflows: dict[str, Workflow] = {}

    def roles_may(self, model_key: str, action: str) -> frozenset[str]:
        """Return the roles that may do `action` on `model_key` (empty if none)."""
        perm = self.permissions.get(model_key)
        return frozenset(getattr(perm, action)) if perm else frozenset()


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Return `base` with `extra` merged in, nested tables merged key by key."""
    merged = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; raise ConfigError naming the file and line on a syntax error."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(["file not found"], str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"TOML syntax: {exc}"], str(path)) from exc


def _check_references(s: Settings, models: dict[str, type], jobs: set[str]) -> list[str]:
    """Cross-check names in the config against the real models, roles and jobs."""
    errors: list[str] = []
    roles = set(s.roles)
    for key, perm in s.permissions.items():
        if key not in models:
            errors.append(f'permissions.{key}: no table called "{key}"')
        for action, names in perm.model_dump().items():
            for i, role in enumerate(names):
                if role not in roles:
                    errors.append(f'permissions.{key}.{action}[{i}]: no role "{role}" in [roles]')
    for i, role in enumerate(s.scope.see_all):
        if role not in roles:
            errors.append(f'scope.see_all[{i}]: no role "{role}" in [roles]')
    for key, rule in s.rules.items():
        model = models.get(key)
        if model is None:
            errors.append(f'rules.{key}: no table called "{key}"')
            continue
        fields = set(model._meta.fields) | set(getattr(model, "virtual_fields", ()))
        if rule.approval or rule.allow_self_approval:
            errors.append(_old_approval(key, rule))
        for kind in ("required", "soft_required"):
            for i, name in enumerate(getattr(rule, kind)):
                if name not in fields:
                    errors.append(f'rules.{key}.{kind}[{i}]: {key} has no field "{name}"')
    from_levels = getattr(models.get("customer"), "LEVELS", None)
    for level, days in s.customers.level_reclaim_days.items():
        if from_levels is not None and level not in from_levels:
            errors.append(
                f'customers.level_reclaim_days.{level}: no customer level "{level}"'
                f" (levels: {', '.join(from_levels)})"
            )
        if days < 1:
            errors.append(f"customers.level_reclaim_days.{level}: must be at least 1 day")
    if s.customers.warn_days_before >= s.customers.reclaim_after_days:
        errors.append("customers.warn_days_before: must be less than reclaim_after_days")
    if s.security.idle_minutes > s.security.session_hours * 60:
        errors.append("security.idle_minutes: must not be longer than session_hours")
    for name, cron in s.tasks.schedule.items():
        if name not in jobs:
            errors.append(f'tasks.schedule.{name}: no job called "{name}"')
        elif len(cron.split()) != 5:
            errors.append(f'tasks.schedule.{name}: "{cron}" is not a 5-part cron line')
    return errors


def _check_font(s: Settings) -> list[str]:
    """The configured print font must be a TrueType-outline file that draws Chinese."""
    if not s.printing.font:
        return []
    from printouts.fonts import unusable_reason  # reads the file's tables and cmap

    reason = unusable_reason(Path(s.printing.font).expanduser(), cjk=True)
    return [f'printing.font: "{s.printing.font}": {reason}'] if reason else []


def _old_approval(key: str, rule: ModelRules) -> str:
    """Refuse the old approval list, printing the [workflows] block that means the same."""
    block = rewrite_approval(key, list(rule.approval), rule.allow_self_approval)
    return (
        f"rules.{key}.approval: approval chains are now declared as a workflow. Remove "
        f"`approval` and `allow_self_approval` from [rules.{key}] and add (fill in the labels, "
        f"then name each step's effects; check-config lists any that are missing):\n{block}"
    )


def load_settings(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    models: dict[str, type] | None = None,
    jobs: set[str] | None = None,
    processes: frozenset[str] | None = None,
    governed: list[str] | None = None,
) -> Settings:
    """Read, merge and validate a config file; raise ConfigError listing every bad key."""
    path = Path(path) if path else DEFAULT_CONFIG
    raw = deep_merge(read_toml(path), overrides or {})
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        errors = [
            f"{_path(e['loc'])}: " + ("unknown key" if e["type"] == "extra_forbidden" else e["msg"])
            for e in exc.errors()
        ]
        raise ConfigError(errors, str(path)) from None
    errors = _check_references(settings, models or {}, jobs or set()) + _check_font(settings)
    if processes is not None:
        from rules.workflow_checks import check_workflows

        errors += check_workflows(settings, models or {}, processes)
    if governed is not None:
        from rules import check_governed

        errors += check_governed(governed)
    if errors:
        raise ConfigError(errors, str(path))
    return settings
