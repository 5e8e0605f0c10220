"""Request and response bodies of /api/v1/applications. Field errors are reported in Chinese."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.enums import AssistanceType, Channel, Relation, Stage
from domain.identity import normalize_id_number, normalize_phone

IdNumber = Annotated[str, AfterValidator(normalize_id_number)]
Phone = Annotated[str, AfterValidator(normalize_phone)]
CountyCode = Annotated[str, Field(pattern=r"^\d{6}$", description="县级区划代码（6位）")]
TownshipCode = Annotated[str, Field(pattern=r"^\d{9}$", description="乡镇（街道）区划代码（9位）")]
CommunityCode = Annotated[str, Field(pattern=r"^\d{12}$", description="村（社区）区划代码（12位）")]
ApplicationNumber = Annotated[
    str,
    Field(
        min_length=6,
        max_length=40,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z-]+$",
        description="申请编号（受理窗口编制，幂等键）",
        examples=["440106-20260105-0001"],
    ),
]
_NAME = re.compile(r"^[\u4e00-\u9fa5·A-Za-z ]{1,32}$")


def _check_name(value: str) -> str:
    value = value.strip()
    if not _NAME.match(value):
        raise ValueError("姓名只能包含汉字、字母、间隔号，且不超过32个字符")
    return value


PersonName = Annotated[str, AfterValidator(_check_name)]


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


class ApplicationIn(_Strict):
    application_number: ApplicationNumber
    assistance_type: AssistanceType
    channel: Channel
    region: RegionIn
    applicant: ApplicantIn
    members: list[MemberIn] = Field(min_length=1, max_length=30, description="家庭成员（含申请人）")
    green_channel: bool = Field(default=False, description="绿色通道（因突发困难再次申请）")
    reason: str = Field(min_length=1, max_length=2000, description="申请理由")

    @model_validator(mode="after")
    def _members(self) -> ApplicationIn:
        ids = [m.id_number for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("家庭成员身份证号码重复")
        if self.applicant.id_number not in ids:
            raise ValueError("申请人须列入家庭成员")
        return self


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
    household_size: int
    green_channel: bool
    stage: Stage = Field(description="当前阶段（来自工作流）")
    stage_label: str
    stored_stage: Stage = Field(description="数据库记录的阶段")
    deadline: datetime | None = Field(description="全流程办结期限")
    deadline_provisional: bool = Field(description="期限所在年份节假日安排尚未发布，按周末推算")
    overdue: bool
    accepted_at: datetime
    created: bool = Field(description="本次请求是否新建了案件（重复提交时为 false）")
