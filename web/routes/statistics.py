"""统计分析: the figures of the caller's jurisdiction for a region, period and assistance type, with
their charts (ECharts, drawn by statistics.js from JSON blocks) and the monthly report's exports.

Every figure and every refusal comes from the statistics service, the one GET
/api/v1/statistics/overview calls (services/statistics.py): a forged region outside the caller's
jurisdiction (a township reviewer asking for another township) is its 403, shown as the error page;
a malformed or future period is its 422, shown beside the period fields. The filters are codes and
dates only (no personal data), so they stay in the URL.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ClockDep, SessionsDep, SettingsDep
from api.schemas.codes import FilterCode
from domain.calendar import CHINA_TZ
from domain.enums import ASSISTANCE_TYPE_LABELS, AssistanceType, RegionLevel
from domain.staff import county_of
from services.errors import ApiError
from services.statistics import StatisticsService, statistics_service
from services.statistics_regions import statistics_regions
from services.statistics_report import MonthlyReport, report_csv, report_xlsx
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute
from web.statistics_filter import PERIOD_KINDS, QUARTERS, StatisticsFilter
from web.statistics_view import overview_view
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

Code = Annotated[FilterCode | None, Query()]


def statistics_filter(
    region: Code = None,
    # The API's parameter name; "" is the form's 全部类别.
    type: Annotated[AssistanceType | Literal[""] | None, Query()] = None,
    kind: Code = None,
    month: Code = None,
    year: Code = None,
    quarter: Code = None,
    start: Code = None,
    end: Code = None,
) -> StatisticsFilter:
    # Empty fields of the form mean "not given" (the caller's own region, every type).
    return StatisticsFilter(
        region or "", type.value if type else "", kind or "month", month or "", year or "", quarter or "",
        start or "", end or "",
    )  # fmt: skip


def page_service(sessions: SessionsDep, settings: SettingsDep, clock: ClockDep) -> StatisticsService:
    return statistics_service(sessions, settings.policy_file, clock)


Wanted = Annotated[StatisticsFilter, Depends(statistics_filter)]
Statistics = Annotated[StatisticsService, Depends(page_service)]


@router.get("/statistics", response_class=HTMLResponse, include_in_schema=False)
async def statistics_page(
    request: Request, actor: PageActor, sessions: SessionsDep, statistics: Statistics, wanted: Wanted
) -> HTMLResponse:
    wanted = wanted.completed(statistics.now().astimezone(CHINA_TZ).date())
    errors: dict[str, str] = {}
    overview = None
    try:
        result = await statistics.overview(
            actor,
            wanted.region or None,
            wanted.period,
            AssistanceType(wanted.assistance_type) if wanted.assistance_type else None,
        )
        overview = overview_view(result, wanted.period)
    except ApiError as refusal:
        if refusal.status_code != 422:
            raise  # 403: the error page, nothing of the figures
        errors = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])} or {
            "period": refusal.message
        }
    regions = await statistics_regions(sessions, actor)
    # The report is a county's: offered when the figures' county is one of the caller's choices
    # (township staff have none; the service refuses them the report anyway).
    counties = {r.code: r.name for r in regions if r.level == RegionLevel.COUNTY.value}
    county = county_of(overview.region_code) if overview else ""
    report = (
        urlencode({"county": county, "month": overview.report_month})
        if overview and county in counties
        else ""
    )
    return render(
        request,
        "statistics/overview.html",
        {
            "title": "统计分析",
            "wanted": wanted,
            "region_value": wanted.region or actor.region_code,
            "regions": [(r.code, r.name if r.level == "county" else f"　{r.name}") for r in regions],
            "types": [(t.value, label) for t, label in ASSISTANCE_TYPE_LABELS.items()],
            "kinds": PERIOD_KINDS,
            "quarters": QUARTERS,
            "overview": overview,
            "errors": errors,
            "report_county": counties.get(county, ""),
            "report_csv": f"/staff/statistics/monthly-report.csv?{report}" if report else "",
            "report_xlsx": f"/staff/statistics/monthly-report.xlsx?{report}" if report else "",
        },
        status_code=422 if errors else 200,
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Month = Annotated[FilterCode, Query()]


def _attachment(report: MonthlyReport, suffix: str) -> dict[str, str]:
    name = f"monthly-report-{report.county_code}-{report.month}.{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# The same files as GET /api/v1/statistics/monthly-report?format=csv|xlsx (the same service and
# writers), for the page's session: township staff and other counties are refused there.
@router.get("/statistics/monthly-report.csv", include_in_schema=False)
async def monthly_report_csv(
    actor: PageActor, statistics: Statistics, month: Month, county: Code = None
) -> Response:
    report = await statistics.monthly_report(actor, county or None, month)
    return Response(
        report_csv(report).encode(), media_type="text/csv; charset=utf-8", headers=_attachment(report, "csv")
    )


@router.get("/statistics/monthly-report.xlsx", include_in_schema=False)
async def monthly_report_xlsx(
    actor: PageActor, statistics: Statistics, month: Month, county: Code = None
) -> Response:
    report = await statistics.monthly_report(actor, county or None, month)
    return Response(report_xlsx(report), media_type=XLSX, headers=_attachment(report, "xlsx"))
