"""统计分析: the bureau's figures for a region and a period (SPEC.md, "Statistics").

Both edges use it: GET /api/v1/statistics/overview and the staff statistics page. The region is a
county or a township inside the caller's jurisdiction (region codes nest by prefix, as for cases);
one outside it is refused (403), so nobody sees another county. The figures are SQL aggregates
over the application database (services/statistics_queries.py), never Temporal's visibility store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import CHINA_TZ
from domain.enums import AssistanceType, RegionLevel
from domain.policy import RegionStandards
from domain.staff import Actor, Role, covers
from domain.statistics import Period, PeriodError, PeriodOut, StatisticsOverview, parse_period, previous_month
from infra.models import Region
from infra.policy_config import load_policy_book
from services import statistics_queries as q
from services.errors import ApiError, forbidden
from services.statistics_formulas import FORMULAS
from services.statistics_report import MonthlyReport, monthly_report

# Who reads the figures: every staff role of a county or township, and supervisors. Operators run
# the system, they are not in the bureau's reporting line.
STATISTICS_ROLES = frozenset(Role) - {Role.OPERATOR, Role.PROVINCIAL_OPERATOR}

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def period_or_422(text: str, now: datetime) -> Period:
    try:
        return parse_period(text, now.astimezone(CHINA_TZ).date())
    except PeriodError as exc:
        raise ApiError(
            422, exc.code, exc.message, errors=[{"field": "period", "type": exc.code, "message": exc.message}]
        ) from None


class StatisticsService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        standards: Callable[[str], RegionStandards],
        clock: Clock = _utcnow,
    ) -> None:
        self._sessions = sessions
        self._standards = standards
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def region(self, actor: Actor, region_code: str | None) -> Region:
        """The county or township the figures cover: the caller's own by default; another one only
        inside the caller's jurisdiction (403 otherwise, 422 for a code that is no such region)."""
        if actor.role not in STATISTICS_ROLES:
            raise forbidden("您的岗位无权查看统计数据")
        code = (region_code or actor.region_code).strip()
        if not covers(actor.region_code, code):
            raise forbidden("所选地区不在您的管辖范围内")
        async with self._sessions() as session:
            region = await session.scalar(select(Region).where(Region.code == code))
        if region is None or region.level not in (RegionLevel.COUNTY.value, RegionLevel.TOWNSHIP.value):
            raise ApiError(
                422, "invalid_region", "请选择县（区）或乡镇（街道）",
                errors=[{"field": "region", "type": "invalid_region", "message": "请选择县（区）或乡镇（街道）"}],
            )  # fmt: skip
        return region

    async def overview(
        self,
        actor: Actor,
        region_code: str | None,
        period_text: str,
        assistance_type: AssistanceType | None = None,
    ) -> StatisticsOverview:
        region = await self.region(actor, region_code)
        now = self.now()
        period = period_or_422(period_text, now)
        return await self.figures(region, period, assistance_type, now)

    async def figures(
        self, region: Region, period: Period, assistance_type: AssistanceType | None, now: datetime
    ) -> StatisticsOverview:
        standards = self._standards(region.code[:6])
        scope = q.Scope(region.code, period, assistance_type, now, standards.payroll_day)
        standard = standards.dibao_standard_fen if assistance_type in (None, AssistanceType.DIBAO) else None
        # One read transaction: every figure sees the same data (PostgreSQL: repeatable read would
        # be stricter still; figures a second apart may differ by the cases written in between).
        async with self._sessions() as session:
            applications = await q.applications(session, scope)
            limits = await q.limits(session, scope)
            durations = await q.stage_durations(session, scope)
            oversight = await q.oversight(session, scope)
            roster = await q.roster(session, scope, standard)
            money = await q.money(session, scope)
            precise = await q.precise_identification(session, scope)
        return StatisticsOverview(
            region_code=region.code,
            region_name=region.name,
            period=PeriodOut(
                label=period.label, kind=period.kind, start=period.start, end=period.end, months=period.months
            ),
            assistance_type=assistance_type.value if assistance_type else None,
            as_of=now,
            applications=applications,
            limits=limits,
            durations=durations,
            oversight=oversight,
            roster=roster,
            money=money,
            precise_identification=precise,
            formulas=FORMULAS,
        )

    async def monthly_report(self, actor: Actor, county_code: str | None, month: str | None) -> MonthlyReport:
        """The ministry's monthly table of a county: the caller's county by default. Township staff
        are refused (the report is the county's); so is anyone asking for another county."""
        region = await self.region(actor, county_code or actor.region_code[:6])
        if region.level != RegionLevel.COUNTY.value:
            raise ApiError(
                422, "invalid_region", "月报按县（区）编制：请选择县（区）",
                errors=[{"field": "county", "type": "invalid_region", "message": "月报按县（区）编制：请选择县（区）"}],
            )  # fmt: skip
        now = self.now()
        month = month or previous_month(now.astimezone(CHINA_TZ).date())
        if not re.fullmatch(r"\d{4}-\d{2}", month.strip()):
            raise ApiError(
                422, "invalid_period", "月份格式有误：请填写如 2026-11",
                errors=[{"field": "month", "type": "invalid_period", "message": "月份格式有误：请填写如 2026-11"}],
            )  # fmt: skip
        period = period_or_422(month, now)
        standards = self._standards(region.code)
        async with self._sessions() as session:
            return await monthly_report(
                session, region.code, region.name, period, standards.dibao_standard_fen, standards.payroll_day
            )


@cache
def _standards_of(policy_file: Path) -> Callable[[str], RegionStandards]:
    return load_policy_book(policy_file).resolve_standards


def statistics_service(
    sessions: async_sessionmaker[AsyncSession], policy_file: Path, clock: Clock = _utcnow
) -> StatisticsService:
    """The service over the policy file the workers read (the county's 低保 standard, payroll day)."""
    return StatisticsService(sessions, _standards_of(policy_file), clock)
