"""/api/v1/admin — the holiday calendar of a year (节假日安排). It is national: every county's
deadlines use it, so only a provincial operator may replace it (an operator of one county could
otherwise move every county's deadlines), and the audit entry names the days that changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.audit_scope import AuditScope, audited
from api.deps import CurrentStaff, GatewayDep, SessionsDep, require_roles
from api.idempotency import IdempotencyKey
from api.schemas.admin import CalendarYearIn, CalendarYearOut
from domain.staff import Actor, Role
from services.calendar import CalendarService, changed_days

router = APIRouter(prefix="/api/v1/admin", tags=["系统管理"])

Year = Annotated[int, Path(ge=2000, le=2100, description="年份")]


@router.put(
    "/calendar/{year}",
    response_model=CalendarYearOut,
    summary="载入（替换）某年的放假调休安排（省级运维监控人员）",
    responses={403: {"description": "仅限省级运维监控人员"}, 422: {"description": "日期不在该年内或重复"}},
)
async def put_calendar_year(
    audit: Annotated[AuditScope, Depends(audited("calendar.replace", "calendar", "year"))],
    year: Year,
    body: CalendarYearIn,
    sessions: SessionsDep,
    gateway: GatewayDep,
    operator: Annotated[Actor, Depends(require_roles(Role.PROVINCIAL_OPERATOR))],
    _key: IdempotencyKey,  # checked only: the year is replaced as a whole
) -> CalendarYearOut:
    """Replaces the year in one transaction, then tells every running case whose limits were
    counted provisionally through that year, so they count them again (cases_notified)."""
    audit.detail.update(year=year, complete=body.complete, days=len(body.days))
    service = CalendarService(sessions, gateway)
    before = await service.get_year(year)
    result = await service.replace_year(year, body, operator)
    audit.detail.update(changed_days(before, result), was_complete=before.complete)
    audit.detail.update(cases_notified=result.cases_notified)
    await audit.ok()
    return result


@router.get("/calendar/{year}", response_model=CalendarYearOut, summary="查看某年已载入的放假调休安排")
async def get_calendar_year(year: Year, sessions: SessionsDep, _: CurrentStaff) -> CalendarYearOut:
    return await CalendarService(sessions).get_year(year)
