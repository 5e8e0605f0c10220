"""Audit log bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from infra.models import AuditEntry


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_username: str | None
    actor_role: str | None
    actor_region: str | None
    action: str
    action_label: str
    target_type: str
    target_id: str | None
    application_number: str | None
    county_code: str | None
    region_code: str | None
    client_ip: str | None
    user_agent: str | None
    outcome: str = Field(description="ok 成功 · refused 被拒绝 · error 出错")
    status_code: int
    detail: dict[str, Any]
    hash: str

    @classmethod
    def from_row(cls, row: AuditEntry, label: str) -> AuditEntryOut:
        return cls(
            id=row.id, at=row.at, actor_username=row.actor_username, actor_role=row.actor_role,
            actor_region=row.actor_region, action=row.action, action_label=label, target_type=row.target_type,
            target_id=row.target_id, application_number=row.application_number, county_code=row.county_code,
            region_code=row.region_code, client_ip=row.client_ip, user_agent=row.user_agent,
            outcome=row.outcome, status_code=row.status_code, detail=row.detail or {}, hash=row.hash,
        )  # fmt: skip


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class ChainReportOut(BaseModel):
    intact: bool = Field(description="整条审计链完好")
    checked: int = Field(description="已核验的记录条数")
    head_seq: int
    head_hash: str = Field(description="链头哈希：可另行留存，用于日后比对")
    first_broken_id: int | None = Field(description="第一条不符的记录编号")
    problem: str | None
