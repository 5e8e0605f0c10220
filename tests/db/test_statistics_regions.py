"""The regions the statistics page offers (services/statistics_regions.py) as SQL on SQLite and
PostgreSQL: the caller's county and its townships, never a community nor another county; a
township's staff only their township."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.seed import seed_regions
from services.statistics_regions import statistics_regions

pytestmark = pytest.mark.db


def actor(role: Role, region: str) -> Actor:
    return Actor("someone", "某人", role, region)


async def test_the_choices_are_the_callers_county_and_townships_only(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_regions(sessions)

    async def codes(role: Role, region: str) -> list[tuple[str, str]]:
        return [(r.code, r.level) for r in await statistics_regions(sessions, actor(role, region))]

    assert await codes(Role.SUPERVISOR, "440105") == [
        ("440105", "county"), ("440105001", "township"), ("440105002", "township"),
    ]  # fmt: skip
    assert await codes(Role.TOWNSHIP_REVIEWER, "440105001") == [("440105001", "township")]
    assert await codes(Role.COUNTY_APPROVER, "440106") == [("440106", "county"), ("440106001", "township")]
