"""The regions a caller may choose for the statistics: the county or township of their own
jurisdiction and the townships inside it (a township's staff: their township only). The same
prefix rule as StatisticsService.region, which refuses any other (403): offering a region here is
not permission, the service checks again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import RegionLevel
from domain.staff import Actor
from infra.models import Region

LEVELS = (RegionLevel.COUNTY.value, RegionLevel.TOWNSHIP.value)


@dataclass(frozen=True)
class RegionChoice:
    code: str
    name: str
    level: str


async def statistics_regions(sessions: async_sessionmaker[AsyncSession], actor: Actor) -> list[RegionChoice]:
    """Counties first, then their townships, by code (a provincial caller: every county)."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Region)
            .where(Region.code.startswith(actor.region_code, autoescape=True), Region.level.in_(LEVELS))
            .order_by(Region.code)
        )
        return [RegionChoice(r.code, r.name, r.level) for r in rows]
