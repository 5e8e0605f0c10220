"""/api/v1/warnings — 预警清单: the risk warnings of the caller's region, as JSON or CSV.

A warning sends a case to closer review; it never rejects one. The list shows rules, figures and
sources by member position — never names or ID numbers.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Select, select

from api.deps import CurrentStaff, SessionsDep
from api.params import Offset
from api.responses import CSV_OK
from api.schemas.codes import FilterCode
from domain.departments import DEPARTMENT_LABELS
from infra.csv_export import csv_text
from infra.models import RiskWarningRow

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


Filters = dict[str, str | None]


def _query(region: str, filters: Filters) -> Select[RiskWarningRow]:
    query = select(RiskWarningRow).where(RiskWarningRow.township_code.startswith(region, autoescape=True))
    for column in (
        "county_code",
        "township_code",
        "rule",
        "status",
        "origin",
        "period",
        "application_number",
    ):
        value = filters.get(column)
        if value:
            query = query.where(getattr(RiskWarningRow, column) == value)
    return query.order_by(RiskWarningRow.created_at.desc(), RiskWarningRow.id.desc())


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
    filters = dict(county_code=county_code, township_code=township_code, rule=rule, status=status, origin=origin,
                   period=period, application_number=application_number)  # fmt: skip
    async with sessions() as session:
        rows = await session.scalars(_query(actor.region_code, filters).limit(limit).offset(offset))
        return [_out(r) for r in rows]


_CSV_HEADER = [
    "申请编号",
    "来源",
    "期间",
    "县区",
    "乡镇街道",
    "预警规则",
    "预警事项",
    "说明",
    "成员序号",
    "发生日期",
    "数据来源",
    "数据",
    "状态",
]


def _sources(codes: list[str]) -> str:
    labels = {d.value: label for d, label in DEPARTMENT_LABELS.items()} | {
        "declared": "申报",
        "home_visit": "入户调查",
    }
    return "、".join(labels.get(c, c) for c in codes)


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
    filters = dict(county_code=county_code, township_code=township_code, rule=rule, status=status, origin=origin,
                   period=period)  # fmt: skip
    rows: list[list[object]] = []
    async with sessions() as session:
        for row in await session.scalars(_query(actor.region_code, filters)):
            rows.append([
                row.application_number, "申请核对" if row.origin == "application" else "季度核查", row.period,
                row.county_code, row.township_code, row.rule, row.title, row.explanation,
                "" if row.member < 0 else row.member + 1, row.observed_on or "", _sources(row.sources),
                json.dumps(row.figures, ensure_ascii=False), row.status,
            ])  # fmt: skip
    return Response(
        csv_text(_CSV_HEADER, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="warnings.csv"'},
    )
