"""Runtime configuration from environment variables (and an optional .env file).

No instance is created at import time: entry points call `load_settings()` and pass the result on.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.departments import Department

REPO_ROOT = Path(__file__).resolve().parent.parent
_COUNTY = re.compile(r"^\d{6}$")
_DEPARTMENTS = frozenset(d.value for d in Department)
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
# Key ids appear inside sealed values ("v1:<key id>:…"), so they cannot contain a colon.
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


def _dev_department_keys() -> dict[str, str]:
    """The department simulator's development keys: set DEPARTMENT_API_KEYS in production."""
    return {d.value: f"dev-{d.value}-key" for d in Department}


def _check_department_names(mapping: dict[str, str], variable: str) -> dict[str, str]:
    """Keys name a department ("tax"), a county ("440106") or both ("440106/tax")."""
    for name in mapping:
        county, _, department = name.rpartition("/")
        if not county and _COUNTY.match(department):
            continue
        if (county and not _COUNTY.match(county)) or department not in _DEPARTMENTS:
            raise ValueError(
                f"{variable}: 无法识别的键 {name!r}，应为部门、县级区划代码或 <区划代码>/<部门> "
                f"(unknown key; departments: {', '.join(d.value for d in Department)})"
            )
    return mapping


class Settings(BaseSettings):
    # Inputs stay out of error messages: they hold secrets (JWT key, API keys, database password).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    # APP_ENV=production: the API and the worker refuse to start while a secret or key still has its
    # development value (refuse_development_secrets below): with those, anyone can forge tokens.
    app_env: Literal["development", "production"] = "development"

    # Application database. SQLite (embedded) by default; PostgreSQL in production, e.g.
    # postgresql+asyncpg://user:pass@host:5432/social_assistance
    database_url: str = Field(default=f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'social_assistance.db'}")
    database_echo: bool = False
    # The connections each process (API, worker) keeps; unset: SQLAlchemy's default (5, and 10 more
    # on demand). SQLite has one writer at a time: fewer connections wait on its lock in turn.
    database_pool_size: int | None = Field(default=None, ge=1)

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "social-assistance"
    # The worker creates the missing Schedules (quarterly data exchange, each county's payroll and
    # disclosure) at start. Off for an extra worker that must not own them (another task queue).
    manage_schedules: bool = True
    # On SIGTERM the worker stops polling and gives running activities this long to finish (a bank
    # file being sent, a department answering) before it cancels them.
    worker_graceful_shutdown_seconds: float = Field(default=30.0, ge=0)
    # Every worker process looks this often for cases saved while the workflow service was down
    # and starts them (infra/case_start.py): the clerk never resubmits.
    start_repair_interval_seconds: float = Field(default=30.0, gt=0)
    # Department calls run on their own task queue with at most this many at a time per worker,
    # so that slow departments never take the slots of the short database writes.
    department_max_concurrent_calls: int = Field(default=20, ge=1)
    # Worker versioning (Temporal Worker Deployments): with a build id, the worker polls as that
    # version of the deployment and gets tasks only once the version is made current, so a rolling
    # deploy never mixes old and new code on one history (README, "Deploying a new version").
    # Empty: unversioned, as in development and the tests.
    worker_build_id: str = Field(default="", max_length=255, pattern=r"^[A-Za-z0-9._-]*$")
    worker_deployment_name: str = Field(default="social-assistance", min_length=1, max_length=255)

    # HTTP API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Request bodies above this many bytes are refused (413) before anything reads them (api/body_limit.py).
    body_limit_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Policy configuration (assistance types and per-county overrides)
    policy_file: Path = Field(default=REPO_ROOT / "config" / "policies.toml")

    # Temporal payload encryption (AES-256-GCM): key id → base64 of 32 random bytes. New payloads
    # use the active key; keep retired keys configured while histories encrypted with them exist.
    # The default is a development key: production sets PAYLOAD_KEYS and PAYLOAD_ACTIVE_KEY.
    payload_keys: dict[str, str] = Field(
        default_factory=lambda: {"dev-2026": "ZGV2LW9ubHktcGF5bG9hZC1rZXktMjAyNi0zMmJ5dGU="}
    )
    payload_active_key: str = "dev-2026"

    # Personal data at rest (infra/pii.py): ID numbers, phones, bank accounts and the stored
    # submissions are sealed with AES-256-GCM under PII_KEYS (key id → base64 of 32 random bytes;
    # new data uses PII_ACTIVE_KEY, retired ids stay configured until `python -m infra.pii rotate`
    # has re-sealed everything). PII_HASH_KEY (base64, 32 bytes) keys the HMAC digests used for
    # equality lookups and resubmission fingerprints. The defaults are development keys only.
    pii_keys: dict[str, str] = Field(
        default_factory=lambda: {"dev-pii-2026": "ZGV2LW9ubHktcGlpLXNlYWxpbmcta2V5LTIwMjYtMzI="}
    )
    pii_active_key: str = "dev-pii-2026"
    pii_hash_key: str = "ZGV2LW9ubHktcGlpLWRpZ2VzdC1rZXktMjAyNi0zMmI="

    # Staff login: HS256 JWT. Set a long random JWT_SECRET in production.
    jwt_secret: str = Field(default="dev-only-secret-change-me-in-production-0123456789")
    jwt_ttl_minutes: int = 480
    # Login throttling (services/login_guard.py), counted in the database so that every API
    # instance agrees: LOGIN_MAX_FAILURES consecutive failures of one username within the window
    # lock it for LOGIN_LOCKOUT_MINUTES; LOGIN_IP_MAX_FAILURES failures from one client address
    # within the window refuse that address (429) until the oldest failure leaves the window.
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_ip_max_failures: int = Field(default=30, ge=1)
    # Reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For is believed when they are
    # the connecting peer; from anyone else the header is ignored, so it cannot dodge the throttle
    # or forge the address in the audit log. JSON list, e.g. TRUSTED_PROXIES='["10.0.0.0/24"]'.
    trusted_proxies: list[str] = Field(default_factory=list)
    # The operator's browser session for the Temporal Web UI's codec calls (/ops/login): short, as
    # it opens decrypted case data. TEMPORAL_UI_ORIGINS (JSON list) are the UI addresses allowed to
    # call the codec endpoint with that cookie; empty means the dev UI on TEMPORAL_UI_PORT.
    ops_session_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # The staff pages' session (web/session.py): a working day; after it the login page, which
    # returns the user to the page they were on.
    web_session_minutes: int = Field(default=480, ge=1, le=24 * 60)
    temporal_ui_origins: list[str] = Field(default_factory=list)

    # Department data exchange (信息核对): every department answers POST <base>/<department>/v1/query.
    # DEPARTMENT_ENDPOINTS overrides the base URL per department, county or county/department, as
    # JSON: {"tax": "https://…", "440106": "https://…", "440106/real_estate": "https://…"}; the most
    # specific key wins. DEPARTMENT_API_KEYS names the keys the same way; its defaults are the
    # department simulator's development keys. See README, "Department data (simulator)".
    department_base_url: str = "http://127.0.0.1:8100"
    department_endpoints: dict[str, str] = Field(default_factory=dict)
    department_api_keys: dict[str, str] = Field(default_factory=_dev_department_keys)
    department_api_key_header: str = "X-Api-Key"
    department_timeout_seconds: float = Field(default=10.0, gt=0)

    # Bank disbursement (代发): the bank's batch interface, our API key and the bureau's account the
    # money leaves from (财政专户). The defaults are the bank simulator's (`make run`); production sets
    # BANK_BASE_URL, BANK_API_KEY and BANK_PAYER_ACCOUNT. A payroll month goes out in files of at most
    # BANK_BATCH_SIZE lines.
    bank_base_url: str = "http://127.0.0.1:8200"
    bank_api_key: str = "dev-bank-key"
    bank_payer_account: str = "44001000000000000001"
    bank_batch_size: int = Field(default=5000, ge=1)
    bank_timeout_seconds: float = Field(default=30.0, gt=0)

    # SMS (短信): the provider's template-message interface and our API key, for the notices to
    # applicants and the portal's sign-in codes. The defaults are the SMS simulator's (`make run`);
    # production sets SMS_BASE_URL and SMS_API_KEY.
    sms_base_url: str = "http://127.0.0.1:8300"
    sms_api_key: str = "dev-sms-key"
    sms_timeout_seconds: float = Field(default=10.0, gt=0)

    # Embedded development stack (`make run`): the Temporal dev server and its Web UI
    temporal_ui_port: int = 8233
    temporal_db_file: Path = Field(default=REPO_ROOT / "var" / "temporal.db")
    temporal_cli_path: Path = Field(default=REPO_ROOT / ".tools" / "bin" / "temporal")
    # … and the department simulator (its households are generated from the seed)
    department_sim_port: int = 8100
    department_sim_households: int = Field(default=3000, ge=1)
    department_sim_seed: int = 2026
    # … and the bank simulator
    bank_sim_port: int = 8200
    # … and the SMS simulator
    sms_sim_port: int = 8300

    @field_validator("department_endpoints")
    @classmethod
    def _endpoint_names(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_department_names(value, "DEPARTMENT_ENDPOINTS")

    @field_validator("department_api_keys")
    @classmethod
    def _key_names(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_department_names(value, "DEPARTMENT_API_KEYS")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {entry!r} 不是 IP 地址或网段 (not an IP address or network)"
                ) from None
        return value

    @model_validator(mode="after")
    def _every_department_has_a_key(self) -> Settings:
        # A county-only or county/department key does not cover other counties: every department
        # needs a key of its own, or the worker would find out only when a case reaches it.
        missing = [d.value for d in Department if d.value not in self.department_api_keys]
        if missing:
            raise ValueError(f"DEPARTMENT_API_KEYS 缺少部门的接口密钥 (no API key for): {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _pii_keys_usable(self) -> Settings:
        # Refused at start-up, not at the first intake: a bad key would otherwise surface as a 500.
        for key_id, value in self.pii_keys.items():
            if not _KEY_ID.match(key_id):
                raise ValueError(f"PII_KEYS 的密钥编号 {key_id!r} 只能包含字母、数字、点、下划线和连字符")
            if not _is_32_byte_key(value):
                raise ValueError(f"PII_KEYS 的密钥 {key_id!r} 须为 32 字节随机数的 base64 编码")
        if self.pii_active_key not in self.pii_keys:
            raise ValueError(f"PII_ACTIVE_KEY {self.pii_active_key!r} 不在 PII_KEYS 已配置的密钥编号中")
        if not _is_32_byte_key(self.pii_hash_key):
            raise ValueError("PII_HASH_KEY 须为 32 字节随机数的 base64 编码")
        return self

    @model_validator(mode="after")
    def _ui_origins(self) -> Settings:
        if not self.temporal_ui_origins:
            port = self.temporal_ui_port
            self.temporal_ui_origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
        for origin in self.temporal_ui_origins:
            # Credentials go with these origins: a wildcard or a malformed entry would open decryption.
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"TEMPORAL_UI_ORIGINS 的 {origin!r} 不是网页来源（应为 https://主机[:端口]，不含路径，不可用 *）"
                )
        return self


def _is_32_byte_key(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


class UnsafeProductionSettings(RuntimeError):
    """APP_ENV=production with a development secret or key: the process must not start."""


# The secrets each process holds, as the variables an operator sets. The worker has no JWT_SECRET
# (only the API signs and checks tokens); both encrypt Temporal payloads and seal personal data, and
# both talk to the SMS provider (the API sends the portal's sign-in and the objections' codes, the
# worker the notices to applicants).
API_SECRETS = ("JWT_SECRET", "PAYLOAD_KEYS", "PII_KEYS", "PII_HASH_KEY", "SMS_API_KEY")
WORKER_SECRETS = (
    "PAYLOAD_KEYS",
    "PII_KEYS",
    "PII_HASH_KEY",
    "DEPARTMENT_API_KEYS",
    "BANK_API_KEY",
    "SMS_API_KEY",
)
# Shorter JWT secrets can be guessed offline from one token (HS256): 32 characters at least.
_MIN_JWT_SECRET = 32


def _development_value(name: str) -> object:
    return Settings.model_fields[name.lower()].get_default(call_default_factory=True)


def _still_development(settings: Settings, name: str) -> str | None:
    """Why the variable is unfit for production, or None."""
    value, development = getattr(settings, name.lower()), _development_value(name)
    if name == "JWT_SECRET":
        if value == development:
            return "开发环境默认值"
        return f"少于 {_MIN_JWT_SECRET} 个字符" if len(value) < _MIN_JWT_SECRET else None
    if isinstance(value, dict) and isinstance(development, dict):
        # A development key anywhere in the map is enough: it decrypts what was sealed with it.
        shared = set(value.values()) & set(development.values())
        return "含开发环境密钥" if shared else None
    return "开发环境默认值" if value == development else None


def refuse_development_secrets(settings: Settings, variables: Iterable[str]) -> None:
    """Under APP_ENV=production, raise UnsafeProductionSettings naming every variable of
    `variables` (API_SECRETS, WORKER_SECRETS) that still holds a development value."""
    if settings.app_env != "production":
        return
    problems = [f"{name}（{why}）" for name in variables if (why := _still_development(settings, name))]
    if problems:
        raise UnsafeProductionSettings(
            "APP_ENV=production：以下变量仍为开发环境的密钥，拒绝启动，请设置真实的随机值 "
            f"(development secrets in production, refusing to start): {'、'.join(problems)}"
        )


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
