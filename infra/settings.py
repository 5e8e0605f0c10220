"""Runtime configuration from environment variables (and an optional .env file).

No instance is created at import time: entry points call `load_settings()` and pass the result on.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.departments import Department

REPO_ROOT = Path(__file__).resolve().parent.parent
_COUNTY = re.compile(r"^\d{6}$")
_DEPARTMENTS = frozenset(d.value for d in Department)


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

    # Application database. SQLite (embedded) by default; PostgreSQL in production, e.g.
    # postgresql+asyncpg://user:pass@host:5432/social_assistance
    database_url: str = Field(default=f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'social_assistance.db'}")
    database_echo: bool = False

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "social-assistance"

    # HTTP API
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    # Policy configuration (assistance types and per-county overrides)
    policy_file: Path = Field(default=REPO_ROOT / "config" / "policies.toml")

    # Temporal payload encryption (AES-256-GCM): key id → base64 of 32 random bytes. New payloads
    # use the active key; keep retired keys configured while histories encrypted with them exist.
    # The default is a development key: production sets PAYLOAD_KEYS and PAYLOAD_ACTIVE_KEY.
    payload_keys: dict[str, str] = Field(
        default_factory=lambda: {"dev-2026": "ZGV2LW9ubHktcGF5bG9hZC1rZXktMjAyNi0zMmJ5dGU="}
    )
    payload_active_key: str = "dev-2026"

    # Staff login: HS256 JWT. Set a long random JWT_SECRET in production.
    jwt_secret: str = Field(default="dev-only-secret-change-me-in-production-0123456789")
    jwt_ttl_minutes: int = 480

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

    # Embedded development stack (`make run`): the Temporal dev server and its Web UI
    temporal_ui_port: int = 8233
    temporal_db_file: Path = Field(default=REPO_ROOT / "var" / "temporal.db")
    temporal_cli_path: Path = Field(default=REPO_ROOT / ".tools" / "bin" / "temporal")
    # … and the department simulator (its households are generated from the seed)
    department_sim_port: int = 8100
    department_sim_households: int = Field(default=3000, ge=1)
    department_sim_seed: int = 2026

    @field_validator("department_endpoints")
    @classmethod
    def _endpoint_names(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_department_names(value, "DEPARTMENT_ENDPOINTS")

    @field_validator("department_api_keys")
    @classmethod
    def _key_names(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_department_names(value, "DEPARTMENT_API_KEYS")

    @model_validator(mode="after")
    def _every_department_has_a_key(self) -> Settings:
        # A county-only or county/department key does not cover other counties: every department
        # needs a key of its own, or the worker would find out only when a case reaches it.
        missing = [d.value for d in Department if d.value not in self.department_api_keys]
        if missing:
            raise ValueError(f"DEPARTMENT_API_KEYS 缺少部门的接口密钥 (no API key for): {', '.join(missing)}")
        return self


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
