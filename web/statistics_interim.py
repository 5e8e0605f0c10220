"""INTERIM — stands in for services/statistics.py (branch `stats`) until it lands, so the page can be
built and driven. Replace by the real service; do not grow it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import ASSISTANCE_TYPE_LABELS, STAGE_LABELS, AssistanceType, Stage
from domain.staff import Actor, covers
from infra.models import Application, Region
from services.errors import forbidden
from web.statistics_filter import StatisticsFilter
from web.statistics_view import Chart, Headline, Overview, Series


class InterimStatistics:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def regions(self, actor: Actor) -> list[tuple[str, str]]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Region)
                .where(Region.code.startswith(actor.region_code), Region.level.in_(("county", "township")))
                .order_by(Region.code)
            )
            return [(r.code, r.name) for r in rows]

    async def overview(self, actor: Actor, wanted: StatisticsFilter) -> Overview:
        region = wanted.region or actor.region_code
        if not covers(actor.region_code, region):
            raise forbidden("所选地区不在您的管辖范围内")
        conditions = [Application.community_code.startswith(region)]
        if wanted.assistance_type:
            conditions.append(Application.assistance_type == wanted.assistance_type)
        async with self._sessions() as session:
            rows = dict(
                (
                    await session.execute(
                        select(Application.stage, func.count()).where(*conditions).group_by(Application.stage)
                    )
                )
                .tuples()
                .all()
            )
            name = await session.scalar(select(Region.name).where(Region.code == region)) or region
        stages = tuple(Stage)
        chart = Chart(
            "stages",
            "各环节案件数",
            "bar",
            "环节",
            tuple(STAGE_LABELS[s] for s in stages),
            (Series("案件数", tuple(rows.get(s.value, 0) for s in stages), tuple(str(rows.get(s.value, 0)) for s in stages)),),
            unit="件",
        )
        headline = Headline("precision", "精准识别率", "—", "≥ 98 %", False, "1 − 认定不符合条件户数 ÷ 核查户数", "0 / 0")
        label = ASSISTANCE_TYPE_LABELS[AssistanceType(wanted.assistance_type)] if wanted.assistance_type else "全部类别"
        return Overview(name, wanted.period, label, (headline,), (("申请总数", str(sum(rows.values()))),), (chart,))
