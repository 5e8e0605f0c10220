"""/api/v1/warnings — 预警清单: the risk warnings of the caller's region, as JSON or CSV.

A warning sends a case to closer review; it never rejects one. The list shows rules, figures and
sources by member position — never names or ID numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import CurrentStaff, SessionsDep
from api.params import Offset
from api.responses import CSV_OK
from api.schemas.codes import FilterCode
from infra.models import RiskWarningRow
from services.warnings import WarningFilter, WarningService

router = APIRouter(prefix="/api/v1/warnings", tags=["预警清单"])


class WarningOut(BaseModel):
    id: int
    application_number: str
    origin: str
    period: str
    county_code: str
    township_code: str
    rule: str
    title: str
    explanation: str
    member: int | None
    observed_on: date | None
    sources: list[str]
    figures: dict[str, Any]
    status: str
    created_at: datetime


def _out(row: RiskWarningRow) -> WarningOut:
    return WarningOut(
        id=row.id, application_number=row.application_number, origin=row.origin, period=row.period,
        county_code=row.county_code, township_code=row.township_code, rule=row.rule, title=row.title,
        explanation=row.explanation, member=None if row.member < 0 else row.member, observed_on=row.observed_on,
        sources=row.sources, figures=row.figures, status=row.status, created_at=row.created_at,
    )  # fmt: skip


FilterQuery = Annotated[FilterCode | None, Query()]


@router.get("", response_model=list[WarningOut], summary="预警清单（本辖区）")
async def list_warnings(
    actor: CurrentStaff,
    sessions: SessionsDep,
    county_code: FilterQuery = None,
    township_code: FilterQuery = None,
    rule: FilterQuery = None,
    status: FilterQuery = None,
    origin: FilterQuery = None,
    period: FilterQuery = None,
    application_number: FilterQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[WarningOut]:
    wanted = WarningFilter(county_code, township_code, rule, status, origin, period, application_number)
    rows = await WarningService(sessions).list(actor, wanted, limit=limit, offset=offset)
    return [_out(r) for r in rows]


@router.get(".csv", summary="导出预警清单（CSV，UTF-8 带 BOM，可直接用 Excel 打开）", responses=CSV_OK)
async def export_warnings(
    actor: CurrentStaff,
    sessions: SessionsDep,
    county_code: FilterQuery = None,
    township_code: FilterQuery = None,
    rule: FilterQuery = None,
    status: FilterQuery = None,
    origin: FilterQuery = None,
    period: FilterQuery = None,
) -> Response:
    wanted = WarningFilter(county_code, township_code, rule, status, origin, period)
    text = await WarningService(sessions).csv(actor, wanted)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="warnings.csv"'},
    )
