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

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from api.audit_scope import AuditScope, audited
from api.deps import SessionsDep, require_roles
from api.params import Instant
from api.responses import CSV_OK
from api.schemas.audit import AuditEntryOut, AuditPage, ChainReportOut
from api.schemas.codes import FilterCode, NumberLookup
from domain.calendar import CHINA_TZ
from domain.staff import ROLE_LABELS, Actor, Role
from infra.csv_export import csv_text
from infra.models import AuditEntry
from services.audit import ACTIONS, OUTCOME_LABELS
from services.audit_chain import verify_chain

router = APIRouter(prefix="/api/v1/audit", tags=["审计日志"])

Supervisor = Annotated[Actor, Depends(require_roles(Role.SUPERVISOR))]
COUNTY_CODE_LENGTH = 6
CSV_MAX_ROWS = 100_000


def visible_to(actor: Actor) -> ColumnElement[bool]:
    region = actor.region_code
    conditions: list[ColumnElement[bool]] = [
        AuditEntry.region_code.startswith(region, autoescape=True),
        AuditEntry.actor_region.startswith(region, autoescape=True),
    ]
    if len(region) <= COUNTY_CODE_LENGTH:
        conditions.append(and_(AuditEntry.region_code.is_(None), AuditEntry.county_code.is_(None)))
    return or_(*conditions)


def _utc(value: datetime) -> datetime:
    # A time without a zone is taken as UTC, as in the task inbox's filters.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    application_number: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self, viewer: Actor) -> Select[AuditEntry]:
        conditions = [visible_to(viewer)]
        if self.actor:
            conditions.append(AuditEntry.actor_username == self.actor)
        if self.application_number:
            conditions.append(AuditEntry.application_number == self.application_number)
        if self.action:
            conditions.append(AuditEntry.action == self.action)
        if self.outcome:
            conditions.append(AuditEntry.outcome == self.outcome)
        if self.since:
            conditions.append(AuditEntry.at >= _utc(self.since))
        if self.until:
            conditions.append(AuditEntry.at < _utc(self.until))
        return select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())


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


def _label(action: str) -> str:
    return ACTIONS.get(action, action)


@router.get("", response_model=AuditPage, summary="审计日志（本辖区，最新在前；仅限监督人员）")
async def list_entries(
    viewer: Supervisor,
    sessions: SessionsDep,
    wanted: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    query = wanted.query(viewer)
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(query.limit(limit).offset(offset))
        items = [AuditEntryOut.from_row(r, _label(r.action)) for r in rows]
    return AuditPage(items=items, total=int(total or 0), limit=limit, offset=offset)


@router.get(
    "/verify",
    response_model=ChainReportOut,
    summary="核验审计日志的哈希链（发现被改动或删除的第一条记录；仅限监督人员）",
)
async def verify(_: Supervisor, sessions: SessionsDep) -> ChainReportOut:
    report = await verify_chain(sessions)
    return ChainReportOut(
        intact=report.intact, checked=report.checked, head_seq=report.head_seq, head_hash=report.head_hash,
        first_broken_id=report.first_broken_id, problem=report.problem,
    )  # fmt: skip


_CSV_HEADER = [
    "编号", "时间（北京时间）", "操作人", "岗位", "操作人辖区", "操作", "操作代码", "对象类型", "对象编号",
    "申请编号", "县区", "区划", "来源地址", "客户端", "结果", "状态码", "详情", "哈希",
]  # fmt: skip


def _role_label(role: str | None) -> str:
    try:
        return ROLE_LABELS[Role(role)] if role else ""
    except ValueError:
        return role or ""


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
    rows: list[list[object]] = []
    async with sessions() as session:
        for row in await session.scalars(wanted.query(viewer).limit(CSV_MAX_ROWS)):
            rows.append([
                row.id, row.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S"), row.actor_username or "",
                _role_label(row.actor_role), row.actor_region or "", _label(row.action), row.action,
                row.target_type, row.target_id or "", row.application_number or "", row.county_code or "",
                row.region_code or "", row.client_ip or "", row.user_agent or "",
                OUTCOME_LABELS.get(row.outcome, row.outcome), row.status_code,
                json.dumps(row.detail, ensure_ascii=False, sort_keys=True), row.hash,
            ])  # fmt: skip
    audit.detail.update({k: v for k, v in _filter_codes(wanted).items() if v is not None})
    await audit.ok(rows=len(rows))
    # Usernames and user agents in it are whatever a caller sent: the shared writer neutralises formulas.
    return Response(
        csv_text(_CSV_HEADER, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


def _filter_codes(wanted: AuditFilter) -> dict[str, str | None]:
    return {
        "actor": wanted.actor,
        "application_number": wanted.application_number,
        "action": wanted.action,
        "outcome": wanted.outcome,
        "from": wanted.since.isoformat() if wanted.since else None,
        "to": wanted.until.isoformat() if wanted.until else None,
    }
