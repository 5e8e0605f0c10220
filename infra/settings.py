"""Runtime configuration from environment variables (and an optional .env file).

No instance is created at import time: entry points call `load_settings()` and pass the result on.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

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

    # Staff login: HS256 JWT. Set a long random JWT_SECRET in production.
    jwt_secret: str = Field(default="dev-only-secret-change-me-in-production-0123456789")
    jwt_ttl_minutes: int = 480

    # Embedded development stack (`make run`): the Temporal dev server and its Web UI
    temporal_ui_port: int = 8233
    temporal_db_file: Path = Field(default=REPO_ROOT / "var" / "temporal.db")
    temporal_cli_path: Path = Field(default=REPO_ROOT / ".tools" / "bin" / "temporal")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
