"""Bodies of /api/v1/intake: what the intake window offers, and a case's one-time notice."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _FromService(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TypeOptionOut(_FromService):
    code: str = Field(description="救助类型代码（assistance_type）")
    label: str
    emergency: bool = Field(description="急难型：先行救助，材料事后补齐")
    required_materials: list[str] = Field(description="政策规定的申请材料（按政策配置顺序）")
    fetchable_materials: list[str] = Field(description="签署告知承诺书后由部门共享获取、可免交的材料")


class CommunityOptionOut(_FromService):
    code: str
    name: str


class TownshipOptionOut(_FromService):
    code: str
    name: str
    county_code: str
    communities: list[CommunityOptionOut]


class IntakeOptionsOut(_FromService):
    types: list[TypeOptionOut] = Field(description="政策配置的全部救助类型，材料按本县政策")
    townships: list[TownshipOptionOut] = Field(description="本人受理范围内的乡镇（街道）及村（社区）")


class MaterialsNoticeOut(_FromService):
    """一次性告知书 (personal data masked)."""

    application_number: str
    assistance_type_label: str
    applicant_name_masked: str
    applicant_id_number_masked: str
    household_size: int
    office: str = Field(description="受理的乡镇（街道）")
    community: str
    accepted_at: datetime
    emergency: bool
    provided: list[str] = Field(description="已提供的材料")
    missing: list[str] = Field(description="一次性告知须补齐的全部材料")
    waived: list[str] = Field(description="已签署告知承诺书、由部门共享获取而免交的材料")
    whole_process_days: int
    whole_process_extended_days: int
    paperwork_days: int = Field(description="急难型：先行救助后补办手续的工作日数")
