"""Bodies of the case timeline and of the case actions (objection, withdrawal, extension)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.codes import IdNumber
from api.schemas.tasks import TaskOut
from domain.staff import Role

# The workflow's validators ask the same minimum lengths; checking here gives field-level errors.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2000)]
Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000)]


class TimelineActor(BaseModel):
    username: str
    role: Role | None
    name: str | None


class TimelineEventOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    stage: str
    actor: TimelineActor | None = Field(description="办理人（系统自动生成的事件为空）")
    summary: str
    data: dict[str, Any]


class TimelineOut(BaseModel):
    application_number: str
    events: list[TimelineEventOut] = Field(description="电子档案时间线，按顺序号排列")
    tasks: list[TaskOut] = Field(description="本案全部待办（含已办结、已取消）")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectionIn(_Body):
    summary: Statement = Field(description="异议内容（不记录异议人身份）")


class WithdrawIn(_Body):
    reason: Reason = Field(description="撤回原因（将写入档案）")


class ExtendIn(_Body):
    reason: Statement = Field(description="延长理由（如异议复核、跨地区核查、调查困难）")


class CaseSummaryOut(BaseModel):
    """One row of the case search: codes and masked data only."""

    application_number: str
    assistance_type: str
    assistance_type_label: str
    stage: str = Field(description="数据库记录的阶段")
    stage_label: str
    county_code: str
    township_code: str
    community_code: str
    community_name: str | None
    applicant_name_masked: str
    household_size: int
    green_channel: bool
    accepted_at: datetime
    overdue: bool = Field(description="曾有办理时限超期（与工作流 Overdue 检索属性同义）")
    workflow_pending: bool = Field(description="流程待启动（受理时流程服务不可用，待补启动）")


class CasePage(BaseModel):
    items: list[CaseSummaryOut]
    total: int = Field(description="符合条件的案件总数")
    limit: int
    offset: int


class RegionOption(BaseModel):
    code: str
    name: str
    level: str


class PublicityEntryOut(BaseModel):
    application_number: str
    assistance_type_label: str
    community_name: str | None
    applicant_name_masked: str
    applicant_id_number_masked: str
    household_size: int
    proposed_amount_fen: int | None = Field(description="拟救助金额（分/月）；流程服务不可用时为空")
    round: int = Field(description="第几轮公示")
    starts_at: datetime
    ends_at: datetime | None


class PublicityNoticeOut(BaseModel):
    township_code: str
    township_name: str
    entries: list[PublicityEntryOut]


class PublicPublicityEntryOut(BaseModel):
    """One line of the public publicity page (no sign-in): masked name, household size, proposed
    amount and period — nothing else leaves. `ref` names the line for an objection without the
    application number (an opaque keyed digest of it)."""

    ref: str
    assistance_type_label: str
    applicant_name_masked: str
    household_size: int
    proposed_amount_fen: int | None
    round: int
    starts_at: datetime
    ends_at: datetime | None


class PublicCommunityOut(BaseModel):
    community_code: str
    community_name: str
    township_code: str
    township_name: str
    entries: list[PublicPublicityEntryOut]


class PublicTownshipOut(BaseModel):
    township_code: str
    township_name: str
    communities: list[tuple[str, str, int]] = Field(description="(村社区代码, 名称, 公示中的户数)")


class IdSearchIn(_Body):
    """A search by the applicant's ID number: in a body, never in a URL."""

    id_number: IdNumber = Field(description="申请人身份证号（18位）")
