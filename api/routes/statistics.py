"""/api/v1/statistics — the bureau's figures (统计分析) and the ministry's monthly report.

Aggregates only: no name, no ID number leaves here, so reads are not written to the audit log
(as the roster and task lists; the personal-data reads are). Role-scoped by region: county staff
their county, township staff their township, supervisors their jurisdiction (services/statistics.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import Field

from api.deps import ClockDep, CurrentStaff, SessionsDep, SettingsDep
from api.schemas.codes import ASCII, CountyCode, Example, Month, RegionCode
from domain.enums import AssistanceType
from domain.statistics import StatisticsOverview
from services.statistics import StatisticsService, statistics_service
from services.statistics_report import MonthlyReport, report_csv, report_xlsx

router = APIRouter(prefix="/api/v1/statistics", tags=["统计分析"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "岗位无权查看统计，或所选地区不在管辖范围内（forbidden）"},
    422: {
        "description": "统计期间格式有误（invalid_period）、尚未开始（period_in_future），或地区不是县（区）、乡镇（街道）（invalid_region）"
    },
}

# A period is code-like (ASCII digits, Q, "..") and normalised as the other codes: a full-width
# "２０２６－１１" reads as 2026-11 or is refused, never a second period.
PeriodCode = Annotated[
    str,
    Field(
        min_length=4,
        max_length=40,
        description="统计期间：月份 2026-11、季度 2026Q4、年份 2026，或日期区间 2026-11-01..2026-11-15（含首尾）",
    ),
    ASCII,
    Example("2026-11"),
]
RegionQuery = Annotated[RegionCode | None, Query(description="县（区）或乡镇（街道）代码；默认本人辖区")]


def service(sessions: SessionsDep, settings: SettingsDep, clock: ClockDep) -> StatisticsService:
    return statistics_service(sessions, settings.policy_file, clock)


StatisticsDep = Annotated[StatisticsService, Depends(service)]


@router.get(
    "/overview", response_model=StatisticsOverview, summary="统计分析：本辖区各项指标", responses=_ERRORS
)
async def overview(
    actor: CurrentStaff,
    statistics: StatisticsDep,
    period: Annotated[PeriodCode, Query()],
    region: RegionQuery = None,
    type: Annotated[AssistanceType | None, Query(description="救助类别；默认全部")] = None,
) -> StatisticsOverview:
    return await statistics.overview(actor, region, period, type)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/monthly-report",
    response_model=MonthlyReport,
    summary="民政统计月报：城市/农村低保、特困、临时救助及资金支出（JSON、CSV 或 xlsx）",
    responses={
        **_ERRORS,
        200: {
            "description": "format=json：各行指标（金额单位：分）；format=csv：UTF-8（带BOM）；format=xlsx：Excel 工作簿（金额单位：元）",
            "content": {"text/csv": {}, XLSX: {}},
        },
    },
)
async def monthly_report(
    actor: CurrentStaff,
    statistics: StatisticsDep,
    month: Annotated[Month | None, Query(description="月份，如 2026-11；默认上月")] = None,
    county: Annotated[CountyCode | None, Query(description="县（区）代码；默认本人所在县")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json、csv 或 xlsx")] = "json",
) -> Any:
    report = await statistics.monthly_report(actor, county, month)
    name = f"monthly-report-{report.county_code}-{report.month}"
    if format == "csv":
        return Response(
            content=report_csv(report).encode(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        return Response(
            content=report_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return report
