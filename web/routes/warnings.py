"""预警清单: the risk warnings of the signed-in person's region with the API's filters, and the same
CSV as GET /api/v1/warnings.csv (services/warnings.py runs both). The filters are region and rule
codes, never personal data, so they may stay in the URL."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionsDep
from api.schemas.codes import FilterCode
from domain.risk import RULE_TITLES
from services.warnings import ORIGIN_LABELS, WarningFilter, WarningService, source_labels
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

PAGE_SIZE = 50
STATUS_LABELS = {"open": "待核实", "cleared": "已排除", "confirmed": "已确认"}
Code = Annotated[FilterCode | None, Query()]


def warning_filter(
    county_code: Code = None,
    township_code: Code = None,
    rule: Code = None,
    status: Code = None,
    origin: Code = None,
    period: Code = None,
    application_number: Code = None,
) -> WarningFilter:
    # Empty fields of the filter form mean "any" (the API's absent parameter).
    return WarningFilter(
        county_code or None, township_code or None, rule or None, status or None, origin or None,
        period or None, application_number or None,
    )  # fmt: skip


Wanted = Annotated[WarningFilter, Depends(warning_filter)]


@router.get("/warnings", response_class=HTMLResponse, include_in_schema=False)
async def warnings_page(
    request: Request,
    actor: PageActor,
    sessions: SessionsDep,
    wanted: Wanted,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    rows = await WarningService(sessions).list(
        actor, wanted, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    query = {k: v for k, v in vars(wanted).items() if v}
    return render(
        request,
        "warnings/list.html",
        {
            "title": "预警清单",
            "rows": rows[:PAGE_SIZE],
            "wanted": wanted,
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "query": urlencode(query),
            "csv_query": urlencode({k: v for k, v in query.items() if k != "application_number"}),
            "rules": {r.value: t for r, t in RULE_TITLES.items()},
            "origins": ORIGIN_LABELS,
            "statuses": STATUS_LABELS,
            "source_labels": source_labels,
        },
    )


@router.get("/warnings.csv", include_in_schema=False)
async def warnings_csv(actor: PageActor, sessions: SessionsDep, wanted: Wanted) -> Response:
    # The API's export takes no application number: the page's download is the same file.
    export = WarningFilter(**{**vars(wanted), "application_number": None})
    return Response(
        await WarningService(sessions).csv(actor, export),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="warnings.csv"'},
    )
