"""Staff roles and jurisdictions. A staff member is bound to one region (county, township or
community) and may act only on cases inside it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    INTAKE_CLERK = "intake_clerk"  # 一窗受理窗口人员
    INVESTIGATOR = "investigator"  # 入户调查员
    TOWNSHIP_REVIEWER = "township_reviewer"  # 乡镇审核人员
    TOWNSHIP_HEAD = "township_head"  # 乡镇（街道）负责人：急难型临时救助先行审批
    COUNTY_APPROVER = "county_approver"  # 县级民政审批人员
    FINANCE_OFFICER = "finance_officer"  # 财务/发放
    OPERATOR = "operator"  # 运维/业务监控
    # 省级运维监控: bound to a province (its two-digit code, e.g. 44 = 广东省, which covers its counties
    # by prefix). The only role that may replace the national holiday calendar and decrypt any
    # county's Temporal history (the provincial view); both are audited.
    PROVINCIAL_OPERATOR = "provincial_operator"
    SUPERVISOR = "supervisor"  # 监督


ROLE_LABELS: dict[Role, str] = {
    Role.INTAKE_CLERK: "受理窗口人员",
    Role.INVESTIGATOR: "入户调查员",
    Role.TOWNSHIP_REVIEWER: "乡镇审核人员",
    Role.TOWNSHIP_HEAD: "乡镇（街道）负责人",
    Role.COUNTY_APPROVER: "县级审批人员",
    Role.FINANCE_OFFICER: "财务发放人员",
    Role.OPERATOR: "运维监控人员",
    Role.PROVINCIAL_OPERATOR: "省级运维监控人员",
    Role.SUPERVISOR: "监督人员",
}


@dataclass(frozen=True)
class Actor:
    """Who performs an action: carried into workflow updates and the timeline (no personal data
    beyond the staff username and display name, which are not personal data of applicants)."""

    username: str
    display_name: str
    role: Role
    region_code: str


def covers(staff_region: str, case_region: str) -> bool:
    """Region codes nest by prefix (440105 ⊃ 440105001 ⊃ 440105001001)."""
    return case_region.startswith(staff_region)


def county_of(region_code: str) -> str:
    return region_code[:6]


def township_of(region_code: str) -> str:
    return region_code[:9]
