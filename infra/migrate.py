"""Apply Alembic migrations programmatically (used by `make run`, the tests and the containers)."""

from __future__ import annotations

import asyncio
import sys

from alembic import command
from alembic.config import Config

from infra.settings import REPO_ROOT, load_settings


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "infra" / "migrations"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Synchronous; env.py runs its own event loop, so call it from a thread inside async code."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else load_settings().database_url
    upgrade(url)


if __name__ == "__main__":
    main()
