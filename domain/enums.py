"""Enumerations shared by the API, the workflows and the database. Values are stable identifiers."""

from __future__ import annotations

from enum import StrEnum


class AssistanceType(StrEnum):
    DIBAO = "dibao"  # 城乡最低生活保障
    DIBAO_EDGE = "dibao_edge"  # 低保边缘家庭
    DIBAO_EXPENDITURE = "dibao_expenditure"  # 支出型困难家庭
    TEKUN = "tekun"  # 特困人员供养
    TEMP_EMERGENCY = "temp_emergency"  # 临时救助·急难型
    TEMP_EXPENDITURE = "temp_expenditure"  # 临时救助·支出型
    DISABILITY_SUBSIDY = "disability_subsidy"  # 残疾人两项补贴


ASSISTANCE_TYPE_LABELS: dict[AssistanceType, str] = {
    AssistanceType.DIBAO: "城乡低保",
    AssistanceType.DIBAO_EDGE: "低保边缘家庭",
    AssistanceType.DIBAO_EXPENDITURE: "支出型困难家庭",
    AssistanceType.TEKUN: "特困人员供养",
    AssistanceType.TEMP_EMERGENCY: "临时救助（急难型）",
    AssistanceType.TEMP_EXPENDITURE: "临时救助（支出型）",
    AssistanceType.DISABILITY_SUBSIDY: "残疾人两项补贴",
}


class Stage(StrEnum):
    INTAKE = "intake"  # 受理
    VERIFICATION = "verification"  # 家庭经济状况核查
    DEMOCRATIC_REVIEW = "democratic_review"  # 民主评议
    PUBLICITY = "publicity"  # 公示
    APPROVAL = "approval"  # 审批
    RESCUE = "rescue"  # 急难型先行救助
    PAPERWORK = "paperwork"  # 补办手续
    APPROVED = "approved"  # 批准（纳入救助或已给予临时救助）
    REJECTED = "rejected"  # 不予批准
    WITHDRAWN = "withdrawn"  # 申请人撤回
    CLOSED = "closed"


STAGE_LABELS: dict[Stage, str] = {
    Stage.INTAKE: "受理",
    Stage.VERIFICATION: "家庭经济状况核查",
    Stage.DEMOCRATIC_REVIEW: "民主评议",
    Stage.PUBLICITY: "公示",
    Stage.APPROVAL: "审批",
    Stage.RESCUE: "先行救助",
    Stage.PAPERWORK: "补办手续",
    Stage.APPROVED: "已批准",
    Stage.REJECTED: "不予批准",
    Stage.WITHDRAWN: "已撤回",
    Stage.CLOSED: "已办结",
}


class Channel(StrEnum):
    WALK_IN = "walk_in"  # 窗口受理
    ONLINE = "online"  # 网上申请
    PROXY = "proxy"  # 帮办代办
    GRID_REPORT = "grid_report"  # 网格员上报


class Relation(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class RegionLevel(StrEnum):
    PROVINCE = "province"  # code: the two-digit prefix (44), so that it covers its counties
    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"


class UrbanRural(StrEnum):
    """A community's kind, what the ministry's figures split by (城市低保 / 农村低保)."""

    URBAN = "urban"  # 城市社区（社区居委会）
    RURAL = "rural"  # 农村村委会


URBAN_RURAL_LABELS: dict[UrbanRural, str] = {UrbanRural.URBAN: "城市", UrbanRural.RURAL: "农村"}
