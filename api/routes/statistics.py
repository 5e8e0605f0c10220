"""/api/v1/statistics — the bureau's figures (统计分析) and the ministry's monthly report.

Aggregates only: no name, no ID number leaves here, so reads are not written to the audit log
(as the roster and task lists; the personal-data reads are). Role-scoped by region: county staff
their county, township staff their township, supervisors their jurisdiction (services/statistics.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import ClockDep, CurrentStaff, SessionsDep, SettingsDep
from domain.enums import AssistanceType
from domain.statistics import StatisticsOverview
from services.statistics import StatisticsService, statistics_service

router = APIRouter(prefix="/api/v1/statistics", tags=["统计分析"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "岗位无权查看统计，或所选地区不在管辖范围内（forbidden）"},
    422: {
        "description": "统计期间格式有误（invalid_period）、尚未开始（period_in_future），或地区不是县（区）、乡镇（街道）（invalid_region）"
    },
}

RegionQuery = Annotated[
    str | None,
    Query(
        min_length=6,
        max_length=12,
        pattern=r"^\d{6,12}$",
        description="县（区）或乡镇（街道）代码；默认本人辖区",
    ),
]
PeriodQuery = Annotated[
    str,
    Query(
        max_length=40,
        description="统计期间：月份 2026-11、季度 2026Q4、年份 2026，或日期区间 2026-11-01..2026-11-15（含首尾）",
    ),
]


def service(sessions: SessionsDep, settings: SettingsDep, clock: ClockDep) -> StatisticsService:
    return statistics_service(sessions, settings.policy_file, clock)


StatisticsDep = Annotated[StatisticsService, Depends(service)]


@router.get(
    "/overview", response_model=StatisticsOverview, summary="统计分析：本辖区各项指标", responses=_ERRORS
)
async def overview(
    actor: CurrentStaff,
    statistics: StatisticsDep,
    period: PeriodQuery,
    region: RegionQuery = None,
    type: Annotated[AssistanceType | None, Query(description="救助类别；默认全部")] = None,
) -> StatisticsOverview:
    return await statistics.overview(actor, region, period, type)
