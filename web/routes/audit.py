"""审计 (supervisors): the audit log of their jurisdiction with the API's filters, its CSV, and the
hash chain's check — all read through services/audit_log.py, as GET /api/v1/audit does. As in the
API, reading the list is not itself an entry; the CSV export is ("audit.export"). The filters hold
usernames, application numbers and codes, no applicant's personal data, so they stay in the URL.
Times are entered and shown in Beijing time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import AuditDep, SessionsDep
from domain.calendar import CHINA_TZ
from domain.staff import Actor, Role
from services.audit import ACTIONS, OUTCOME_LABELS, Target
from services.audit_log import AuditFilter, AuditLog, action_label, role_label
from services.errors import ApiError
from web.csrf import require_csrf
from web.pages import PageRoute, require_page_roles
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

PAGE_SIZE = 50
Supervisor = Annotated[Actor, Depends(require_page_roles(Role.SUPERVISOR))]
Text = Annotated[str, Query(max_length=64)]


def _printable(value: str) -> str | None:
    value = value.strip()
    return value if value and value.isprintable() else None


def _instant(value: str, field: str, errors: dict[str, str]) -> datetime | None:
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors[field] = "时间格式应为 2026-12-01 09:30"
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def audit_filter(
    actor: Text = "",
    application_number: Annotated[str, Query(max_length=40)] = "",
    action: Text = "",
    outcome: Annotated[str, Query(pattern="^(|ok|refused|error)$")] = "",
    since: Annotated[str, Query(alias="from", max_length=32)] = "",
    until: Annotated[str, Query(alias="to", max_length=32)] = "",
) -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The filter, its problems by field, and the form's values as entered."""
    errors: dict[str, str] = {}
    wanted = AuditFilter(
        _printable(actor), _printable(application_number), _printable(action), outcome or None,
        _instant(since, "from", errors), _instant(until, "to", errors),
    )  # fmt: skip
    entered = {"actor": actor, "application_number": application_number, "action": action,
               "outcome": outcome, "from": since, "to": until}  # fmt: skip
    return wanted, errors, entered


Wanted = Annotated[tuple[AuditFilter, dict[str, str], dict[str, str]], Depends(audit_filter)]


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
async def audit_page(
    request: Request,
    viewer: Supervisor,
    sessions: SessionsDep,
    wanted: Wanted,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    query, errors, entered = wanted
    found = None
    if not errors:
        found = await AuditLog(sessions).entries(viewer, query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    params = urlencode({k: v for k, v in entered.items() if v})
    return render(
        request,
        "audit/list.html",
        {
            "title": "审计日志",
            "found": found,
            "errors": errors,
            "entered": entered,
            "page": page,
            "page_size": PAGE_SIZE,
            "query": params,
            "actions": ACTIONS,
            "outcomes": OUTCOME_LABELS,
            "action_label": action_label,
            "role_label": role_label,
        },
        status_code=422 if errors else 200,
    )


@router.get("/audit/verify", response_class=HTMLResponse, include_in_schema=False)
async def verify_page(request: Request, viewer: Supervisor, sessions: SessionsDep) -> HTMLResponse:
    report = await AuditLog(sessions).verify(viewer)
    return render(request, "audit/verify.html", {"title": "核验审计链", "report": report})


@router.get("/audit.csv", include_in_schema=False)
async def audit_csv(viewer: Supervisor, sessions: SessionsDep, wanted: Wanted, trail: AuditDep) -> Response:
    query, errors, _ = wanted
    if errors:
        raise ApiError(422, "validation_error", "筛选条件有误：" + "；".join(errors.values()))
    text, count = await AuditLog(sessions).csv(viewer, query)
    # The same entry as the API's export (GET /api/v1/audit.csv): who took which rows.
    detail = {k: v for k, v in query.codes().items() if v is not None} | {"rows": count}
    await trail.record(viewer, "audit.export", Target("audit_log"), detail=detail)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
