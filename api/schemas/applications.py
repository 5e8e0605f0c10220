"""Request and response bodies of /api/v1/applications. Field errors are reported in Chinese."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.schemas.codes import (
    ApplicationNumber,
    CommunityCode,
    CountyCode,
    GridCode,
    IdNumber,
    Phone,
    TownshipCode,
)
from api.schemas.tasks import TaskOut
from domain.enums import AssistanceType, Channel, Relation, Stage

_NAME = re.compile(r"^[\u4e00-\u9fa5·A-Za-z ]{1,32}$")


def _check_name(value: str) -> str:
    value = value.strip()
    if not _NAME.match(value):
        raise ValueError("姓名只能包含汉字、字母、间隔号，且不超过32个字符")
    return value


PersonName = Annotated[str, AfterValidator(_check_name)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApplicantIn(_Strict):
    name: PersonName
    id_number: IdNumber
    phone: Phone


class MemberIn(_Strict):
    name: PersonName
    id_number: IdNumber
    relation: Relation
    monthly_income_fen: int = Field(ge=0, le=100_000_000, description="月收入（分），不得为负")


class RegionIn(_Strict):
    county_code: CountyCode
    township_code: TownshipCode
    community_code: CommunityCode

    @model_validator(mode="after")
    def _nested(self) -> RegionIn:
        if not self.township_code.startswith(self.county_code):
            raise ValueError("乡镇（街道）不属于所填县（区）")
        if not self.community_code.startswith(self.township_code):
            raise ValueError("村（社区）不属于所填乡镇（街道）")
        return self


class ProxyIn(_Strict):
    """帮办代办: who files on the applicant's behalf."""

    name: PersonName = Field(description="代办人姓名")
    relation_or_org: ShortText = Field(description="与申请人关系或代办机构")


class GridReportIn(_Strict):
    """网格员上报: the grid and the grid worker who reported the household."""

    grid_code: GridCode
    reporter: ShortText = Field(description="上报网格员")


class StaffRelativeIn(_Strict):
    """近亲属备案: the applicant is a close relative of civil-affairs staff or a village cadre."""

    relation: ShortText = Field(description="与工作人员的关系")
    staff_position: ShortText = Field(description="该工作人员的单位和职务")


class ApplicationIn(_Strict):
    application_number: ApplicationNumber
    assistance_type: AssistanceType
    channel: Channel
    region: RegionIn
    applicant: ApplicantIn
    members: list[MemberIn] = Field(min_length=1, max_length=30, description="家庭成员（含申请人）")
    green_channel: bool = Field(default=False, description="绿色通道（因突发困难再次申请）")
    reason: str = Field(min_length=1, max_length=2000, description="申请理由")
    materials: list[ShortText] = Field(default_factory=list, max_length=50, description="已提供的申请材料")
    commitment_signed: bool = Field(default=False, description="已签署告知承诺书（可共享获取的材料免交）")
    # validate_default: the channel-dependent checks must also run when the field is left out.
    proxy: ProxyIn | None = Field(default=None, validate_default=True, description="帮办代办人")
    grid_report: GridReportIn | None = Field(default=None, validate_default=True, description="网格员上报")
    staff_relative: StaffRelativeIn | None = Field(default=None, description="近亲属备案")

    @field_validator("proxy")
    @classmethod
    def _proxy_for_proxy_channel(cls, value: ProxyIn | None, info: ValidationInfo) -> ProxyIn | None:
        if value is None and info.data.get("channel") is Channel.PROXY:
            raise ValueError("帮办代办须填写代办人姓名及与申请人关系")
        return value

    @field_validator("grid_report")
    @classmethod
    def _report_for_grid_channel(
        cls, value: GridReportIn | None, info: ValidationInfo
    ) -> GridReportIn | None:
        if value is None and info.data.get("channel") is Channel.GRID_REPORT:
            raise ValueError("网格员上报须填写网格编号和上报网格员")
        return value

    @model_validator(mode="after")
    def _members(self) -> ApplicationIn:
        ids = [m.id_number for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("家庭成员身份证号码重复")
        if self.applicant.id_number not in ids:
            raise ValueError("申请人须列入家庭成员")
        return self


class LimitOut(BaseModel):
    name: str
    label: str
    deadline: datetime = Field(description="届满时刻（此刻起即超期）")
    due_date: str = Field(description="最后办理日（北京时间）")
    provisional: bool = Field(description="所在年份节假日安排未发布，按周末推算")
    met: bool
    breached: bool
    active: bool


class ApplicationOut(BaseModel):
    application_number: str
    workflow_id: str
    assistance_type: AssistanceType
    channel: Channel
    county_code: str
    township_code: str
    community_code: str
    applicant_name_masked: str
    applicant_id_number_masked: str
    applicant_phone_masked: str = Field(description="脱敏手机号；完整个人信息见 /personal-data")
    household_size: int
    green_channel: bool
    stage: Stage = Field(description="当前阶段（来自工作流）")
    stage_label: str
    stored_stage: Stage = Field(description="数据库记录的阶段")
    live: bool = Field(description="以下流程状态是否来自工作流（否：流程服务不可用，仅有数据库记录）")
    status_source: Literal["workflow", "database", "stored"] = Field(
        default="stored",
        description="流程状态的来源：workflow 工作流即时应答；database 工作流最近一次写入的状态；"
        "stored 仅有受理记录（流程尚未开始或暂不可用）",
    )
    workflow_pending: bool = Field(
        default=False,
        description="流程待启动：申请已保存，流程服务恢复后自动启动，无需重新提交",
    )
    deadline: datetime | None = Field(description="最近的进行中时限")
    deadline_provisional: bool = Field(description="期限所在年份节假日安排尚未发布，按周末推算")
    overdue: bool
    limits: list[LimitOut] = Field(default_factory=list, description="各项办理时限")
    open_tasks: list[TaskOut] = Field(default_factory=list, description="未办结的待办")
    missing_materials: list[str] = Field(default_factory=list, description="一次性告知的缺少材料")
    proposed_amount_fen: int | None = Field(default=None, description="拟救助金额（分/月）")
    approved_amount_fen: int | None = Field(default=None, description="批准救助金额（分/月）")
    category: str | None = Field(default=None, description="分类管理类别 A/B/C")
    publicity_rounds: int = 0
    objections: int = 0
    whole_process_extended: bool = False
    materials_provided: list[str] = Field(default_factory=list)
    commitment_signed: bool = False
    staff_relative: bool = Field(default=False, description="近亲属备案案件")
    accepted_at: datetime
    created: bool = Field(description="本次请求是否新建了案件（重复提交时为 false）")


class ApplicantPersonalOut(BaseModel):
    name: str
    id_number: str
    phone: str


class MemberPersonalOut(BaseModel):
    name: str
    id_number: str
    relation: Relation
    monthly_income_fen: int


class PersonalDataOut(BaseModel):
    """The full personal record of a case (未脱敏): only for the roles whose work needs it, and every
    read is audited. Never cached (Cache-Control: no-store)."""

    application_number: str
    applicant: ApplicantPersonalOut
    members: list[MemberPersonalOut] = Field(description="家庭成员（含申请人）")
    proxy: ProxyIn | None = Field(default=None, description="帮办代办人")
    staff_relative: StaffRelativeIn | None = Field(default=None, description="近亲属备案")
    reason: str = Field(description="申请理由")
