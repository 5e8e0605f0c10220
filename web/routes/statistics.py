"""统计分析: the figures of the caller's jurisdiction for a region, period and assistance type, with
their charts (ECharts, drawn by statistics.js from JSON blocks) and the monthly report's exports.
Every figure and every refusal comes from the statistics service (the one the API's
/api/v1/statistics endpoints call): a township reviewer's forged region of another township is the
service's 403, shown as the error page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionsDep
from api.schemas.codes import FilterCode
from domain.calendar import CHINA_TZ
from domain.enums import ASSISTANCE_TYPE_LABELS
from services.errors import ApiError
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute
from web.statistics_filter import PERIOD_KINDS, QUARTERS, StatisticsFilter
from web.statistics_interim import InterimStatistics
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

Code = Annotated[FilterCode | None, Query()]


def statistics_filter(
    region: Code = None,
    type: Code = None,  # noqa: A002 - the API's parameter name
    kind: Code = None,
    month: Code = None,
    year: Code = None,
    quarter: Code = None,
    start: Code = None,
    end: Code = None,
) -> StatisticsFilter:
    return StatisticsFilter(
        region or "", type or "", kind or "month", month or "", year or "", quarter or "", start or "", end or ""
    )


Wanted = Annotated[StatisticsFilter, Depends(statistics_filter)]


@router.get("/statistics", response_class=HTMLResponse, include_in_schema=False)
async def statistics_page(
    request: Request, actor: PageActor, sessions: SessionsDep, wanted: Wanted
) -> HTMLResponse:
    service = InterimStatistics(sessions)
    wanted = wanted.completed(datetime.now(CHINA_TZ).date())
    regions = await service.regions(actor)
    errors: dict[str, str] = {}
    overview = None
    try:
        overview = await service.overview(actor, wanted)
    except ApiError as refusal:
        if refusal.status_code != 422:
            raise
        errors = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])} or {
            "period": refusal.message
        }
    return render(
        request,
        "statistics/overview.html",
        {
            "title": "统计分析",
            "wanted": wanted,
            "regions": regions,
            "types": [(t.value, label) for t, label in ASSISTANCE_TYPE_LABELS.items()],
            "kinds": PERIOD_KINDS,
            "quarters": QUARTERS,
            "overview": overview,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )
