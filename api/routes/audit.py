"""/api/v1/audit — the audit log (审计日志) for supervisors (监督人员), as JSON or CSV, and a check
of its hash chain.

Only supervisors read it (SPEC: "auditor / supervisor: read-only, audit trail"); operators watch
the running cases, not the people. A supervisor sees, within the jurisdiction:
- entries about a case, task or staff account in the region (the target's region), and
- entries by staff of the region (the actor's region), wherever they acted or were refused;
- a county-level supervisor also sees system-wide entries that belong to no region: failed logins
  under unknown usernames, address limits, the holiday calendar. They carry no case data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.audit_scope import AuditScope, audited
from api.deps import SessionsDep, require_roles
from api.params import Instant
from api.responses import CSV_OK
from api.schemas.audit import AuditEntryOut, AuditPage, ChainReportOut
from api.schemas.codes import FilterCode, NumberLookup
from domain.staff import Actor, Role
from services.audit_log import AuditFilter, AuditLog, action_label

router = APIRouter(prefix="/api/v1/audit", tags=["审计日志"])

Supervisor = Annotated[Actor, Depends(require_roles(Role.SUPERVISOR))]

# No control characters: PostgreSQL refuses NUL in text, which would otherwise be a 500.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def audit_filter(
    actor: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE, description="操作人用户名")] = None,
    application_number: Annotated[NumberLookup | None, Query()] = None,
    action: Annotated[FilterCode | None, Query(description="操作代码，如 task.complete")] = None,
    outcome: Annotated[str | None, Query(pattern="^(ok|refused|error)$")] = None,
    since: Annotated[Instant | None, Query(alias="from", description="起始时刻（含）")] = None,
    until: Annotated[Instant | None, Query(alias="to", description="截止时刻（不含）")] = None,
) -> AuditFilter:
    return AuditFilter(actor, application_number, action, outcome, since, until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", response_model=AuditPage, summary="审计日志（本辖区，最新在前；仅限监督人员）")
async def list_entries(
    viewer: Supervisor,
    sessions: SessionsDep,
    wanted: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    found = await AuditLog(sessions).entries(viewer, wanted, limit, offset)
    items = [AuditEntryOut.from_row(r, action_label(r.action)) for r in found.items]
    return AuditPage(items=items, total=found.total, limit=limit, offset=offset)


@router.get(
    "/verify",
    response_model=ChainReportOut,
    summary="核验审计日志的哈希链（发现被改动或删除的第一条记录；仅限监督人员）",
)
async def verify(viewer: Supervisor, sessions: SessionsDep) -> ChainReportOut:
    report = await AuditLog(sessions).verify(viewer)
    return ChainReportOut(
        intact=report.intact, checked=report.checked, head_seq=report.head_seq, head_hash=report.head_hash,
        first_broken_id=report.first_broken_id, problem=report.problem,
    )  # fmt: skip


@router.get(
    ".csv",
    summary="导出审计日志（CSV，UTF-8 带 BOM，可直接用 Excel 打开；仅限监督人员）",
    responses=CSV_OK,
)
async def export_entries(
    audit: Annotated[AuditScope, Depends(audited("audit.export", "audit_log"))],  # first: see audit_scope
    viewer: Supervisor,
    sessions: SessionsDep,
    wanted: FilterDep,
) -> Response:
    text, count = await AuditLog(sessions).csv(viewer, wanted)
    audit.detail.update({k: v for k, v in wanted.codes().items() if v is not None})
    await audit.ok(rows=count)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
