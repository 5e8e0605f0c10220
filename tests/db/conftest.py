"""Data-access fixtures. SA_TEST_DATABASE_URL selects the database (PostgreSQL in CI's second
pass); by default a fresh SQLite file. Each test starts from an empty, freshly migrated schema."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_engine
from infra.migrate import downgrade, upgrade


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return os.environ.get("SA_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'data.db'}"


@pytest_asyncio.fixture
async def migrated(db_url: str) -> AsyncIterator[AsyncEngine]:
    import asyncio

    await asyncio.to_thread(downgrade, db_url, "base")
    await asyncio.to_thread(upgrade, db_url)
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()
