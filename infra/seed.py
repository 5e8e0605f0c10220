"""Demo data for the embedded stack and the tests: regions (and, later, staff accounts).

Idempotent: running it twice leaves the same rows.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import RegionLevel
from infra.models import Region

# (code, name, level, parent). Two counties so that jurisdiction boundaries can be exercised.
DEMO_REGIONS: tuple[tuple[str, str, RegionLevel, str | None], ...] = (
    ("440105", "海珠区", RegionLevel.COUNTY, None),
    ("440105001", "赤岗街道", RegionLevel.TOWNSHIP, "440105"),
    ("440105001001", "赤岗社区", RegionLevel.COMMUNITY, "440105001"),
    ("440105001002", "珠江帝景社区", RegionLevel.COMMUNITY, "440105001"),
    ("440105002", "新港街道", RegionLevel.TOWNSHIP, "440105"),
    ("440105002001", "中大社区", RegionLevel.COMMUNITY, "440105002"),
    ("440106", "天河区", RegionLevel.COUNTY, None),
    ("440106001", "五山街道", RegionLevel.TOWNSHIP, "440106"),
    ("440106001001", "华农社区", RegionLevel.COMMUNITY, "440106001"),
)


async def seed_regions(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        for code, name, level, parent in DEMO_REGIONS:
            await session.merge(Region(code=code, name=name, level=level.value, parent_code=parent))


async def seed_demo(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed_regions(sessions)
