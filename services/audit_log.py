"""Reading the audit log (审计日志): the entries a supervisor may see, with the API's filters, their
CSV, and the hash chain's check. The JSON API (api/routes/audit.py) and the 审计 page both read it
here, so they show the same rows.

A supervisor sees, within the jurisdiction:
- entries about a case, task or staff account in the region (the target's region), and
- entries by staff of the region (the actor's region), wherever they acted or were refused;
- a county-level supervisor also sees system-wide entries that belong to no region: failed logins
  under unknown usernames, address limits, the holiday calendar. They carry no case data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import CHINA_TZ
from domain.staff import ROLE_LABELS, Actor, Role
from infra.csv_export import csv_text
from infra.models import AuditEntry
from services.audit import ACTIONS, OUTCOME_LABELS
from services.audit_chain import ChainReport, verify_chain
from services.errors import ApiError

COUNTY_CODE_LENGTH = 6
CSV_MAX_ROWS = 100_000
CSV_HEADER = [
    "编号", "时间（北京时间）", "操作人", "岗位", "操作人辖区", "操作", "操作代码", "对象类型", "对象编号",
    "申请编号", "县区", "区划", "来源地址", "客户端", "结果", "状态码", "详情", "哈希",
]  # fmt: skip


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

    def codes(self) -> dict[str, str | None]:
        """The filter as the export's audit entry records it."""
        return {
            "actor": self.actor,
            "application_number": self.application_number,
            "action": self.action,
            "outcome": self.outcome,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def role_label(role: str | None) -> str:
    try:
        return ROLE_LABELS[Role(role)] if role else ""
    except ValueError:
        return role or ""


@dataclass(frozen=True)
class AuditRows:
    items: list[AuditEntry]
    total: int


def _supervisor_only(viewer: Actor) -> None:
    # The routes check the role first (with their own message); this keeps any other caller out.
    if viewer.role is not Role.SUPERVISOR:
        raise ApiError(403, "forbidden", "审计日志仅限监督人员查看")


class AuditLog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def entries(
        self, viewer: Actor, wanted: AuditFilter, limit: int = 100, offset: int = 0
    ) -> AuditRows:
        """A page of the entries the viewer may see, newest first, with their total."""
        _supervisor_only(viewer)
        query = wanted.query(viewer)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = list(await session.scalars(query.limit(limit).offset(offset)))
        return AuditRows(rows, int(total or 0))

    async def csv(self, viewer: Actor, wanted: AuditFilter) -> tuple[str, int]:
        """The entries as CSV (at most CSV_MAX_ROWS) and how many rows it holds. The caller audits
        the export itself. Usernames and user agents in it are whatever a caller sent: the shared
        writer neutralises formulas."""
        _supervisor_only(viewer)
        rows: list[list[object]] = []
        async with self._sessions() as session:
            for row in await session.scalars(wanted.query(viewer).limit(CSV_MAX_ROWS)):
                rows.append([
                    row.id, row.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S"), row.actor_username or "",
                    role_label(row.actor_role), row.actor_region or "", action_label(row.action), row.action,
                    row.target_type, row.target_id or "", row.application_number or "", row.county_code or "",
                    row.region_code or "", row.client_ip or "", row.user_agent or "",
                    OUTCOME_LABELS.get(row.outcome, row.outcome), row.status_code,
                    json.dumps(row.detail, ensure_ascii=False, sort_keys=True), row.hash,
                ])  # fmt: skip
        return csv_text(CSV_HEADER, rows), len(rows)

    async def verify(self, viewer: Actor) -> ChainReport:
        """The whole chain recomputed: intact, or the first entry that does not fit and why."""
        _supervisor_only(viewer)
        return await verify_chain(self._sessions)
