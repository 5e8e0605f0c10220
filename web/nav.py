"""The navigation each role sees: only the page groups its work needs (SPEC.md, "Staff front").
Showing a link is not permission: every page's service checks the role again."""

from __future__ import annotations

from dataclasses import dataclass

from domain.staff import Role

R = Role
ALL = frozenset(Role)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]


NAV: tuple[NavItem, ...] = (
    NavItem("工作台", "/staff/", ALL),
    NavItem("待办", "/staff/tasks", ALL - {R.FINANCE_OFFICER}),
    NavItem("受理登记", "/staff/intake", frozenset({R.INTAKE_CLERK})),
    NavItem("网上申请", "/staff/online-applications", frozenset({R.INTAKE_CLERK})),
    NavItem("案件", "/staff/cases", ALL - {R.FINANCE_OFFICER}),
    NavItem("公示", "/staff/publicity", frozenset({R.TOWNSHIP_REVIEWER, R.TOWNSHIP_HEAD, R.SUPERVISOR})),
    NavItem("群众异议", "/staff/objections", frozenset({R.TOWNSHIP_REVIEWER, R.TOWNSHIP_HEAD, R.SUPERVISOR})),
    NavItem("救助对象", "/staff/beneficiaries", ALL - {R.INTAKE_CLERK}),
    NavItem("资金发放", "/staff/payments", frozenset({R.FINANCE_OFFICER, R.COUNTY_APPROVER, R.SUPERVISOR})),
    NavItem("预警清单", "/staff/warnings", frozenset({R.COUNTY_APPROVER, R.SUPERVISOR, R.TOWNSHIP_HEAD})),
    NavItem(
        "统计分析",
        "/staff/statistics",
        frozenset({R.SUPERVISOR, R.COUNTY_APPROVER, R.TOWNSHIP_HEAD, R.TOWNSHIP_REVIEWER}),
    ),
    NavItem("审计", "/staff/audit", frozenset({R.SUPERVISOR})),
    NavItem("系统管理", "/staff/admin", frozenset({R.OPERATOR, R.PROVINCIAL_OPERATOR})),
)


def nav_for(role: Role) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
