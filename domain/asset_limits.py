"""Household assets against the county's limits (RegionStandards): one finding per exceeded limit.

Limits are inclusive — a figure equal to the limit is within it, one fen (or one house) more is
over. A finding is a RiskWarning: exceeding an asset limit usually ends eligibility under local
rules, but the reviewer decides that (a house may be uninhabitable, a car a disability vehicle),
so it sends the case to closer review like every other warning.

- deposit_limit: deposits, securities, funds and wealth-management products of the whole
  household together against members × the per-person limit (the housing-fund balance is not
  counted: it cannot be spent freely). figures: total_fen, limit_fen, per_capita_limit_fen, members.
- vehicle_limit: the value of all the household's vehicles together against the limit (two cheap
  cars are not cheaper than one dear one). figures: total_fen, limit_fen, count.
- house_limit: residential houses (住宅) against the number allowed; a jointly owned house counts
  once. figures: count, limit.
- business: each registered business whose registered capital exceeds the limit — capital
  belongs to the business, so businesses are not added up. figures: capital_fen, limit_fen.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.amounts import format_yuan
from domain.department_data import BUSINESS_KINDS, FINANCIAL_KINDS, HOUSE_KINDS, VEHICLE_KINDS, AssetItem
from domain.figures import department_codes, sources_text
from domain.policy import RegionStandards
from domain.risk import RULE_TITLES, RiskRule, RiskWarning


def _warning(
    rule: RiskRule,
    explanation: str,
    items: Sequence[AssetItem],
    figures: dict[str, int],
    member: int | None = None,
) -> RiskWarning:
    sources = department_codes(item.department for item in items)
    return RiskWarning(
        rule=rule,
        title=RULE_TITLES[rule],
        explanation=f"{explanation}（来源：{sources_text(sources)}）",
        sources=sources,
        member=member,
        on=None,
        figures=figures,
    )


def _deposit_finding(items: Sequence[AssetItem], members: int, s: RegionStandards) -> RiskWarning | None:
    financial = [i for i in items if i.kind in FINANCIAL_KINDS]
    total = sum(i.value_fen for i in financial)
    per_capita = s.deposit_limit_per_capita_fen
    limit = per_capita * members
    if total <= limit:
        return None
    return _warning(
        RiskRule.DEPOSIT_LIMIT,
        f"家庭存款及有价证券等金融资产合计{format_yuan(total)}（{len(financial)}笔），超过限额{format_yuan(limit)}"
        f"（{members}人×每人{format_yuan(per_capita)}）",
        financial,
        {"total_fen": total, "limit_fen": limit, "per_capita_limit_fen": per_capita, "members": members},
    )


def _vehicle_finding(items: Sequence[AssetItem], s: RegionStandards) -> RiskWarning | None:
    vehicles = [i for i in items if i.kind in VEHICLE_KINDS]
    total = sum(i.value_fen for i in vehicles)
    if total <= s.vehicle_value_limit_fen:
        return None
    listed = "、".join(f"{i.label}{format_yuan(i.value_fen)}" for i in vehicles)
    return _warning(
        RiskRule.VEHICLE_LIMIT,
        f"家庭名下车辆{len(vehicles)}辆（{listed}），合计价值{format_yuan(total)}，"
        f"超过限额{format_yuan(s.vehicle_value_limit_fen)}",
        vehicles,
        {"total_fen": total, "limit_fen": s.vehicle_value_limit_fen, "count": len(vehicles)},
    )


def _house_finding(items: Sequence[AssetItem], s: RegionStandards) -> RiskWarning | None:
    houses = [i for i in items if i.kind in HOUSE_KINDS]
    if len(houses) <= s.max_houses:
        return None
    listed = "、".join(i.label for i in houses)
    return _warning(
        RiskRule.HOUSE_LIMIT,
        f"家庭名下住房{len(houses)}套（{listed}），超过限定的{s.max_houses}套",
        houses,
        {"count": len(houses), "limit": s.max_houses},
    )


def _business_findings(
    items: Sequence[AssetItem], labels: Sequence[str], s: RegionStandards
) -> list[RiskWarning]:
    limit = s.business_registered_capital_limit_fen
    return [
        _warning(
            RiskRule.BUSINESS,
            f"{'、'.join(labels[m] for m in i.members)}名下{i.label}注册资金{format_yuan(i.value_fen)}，"
            f"超过限额{format_yuan(limit)}",
            [i],
            {"capital_fen": i.value_fen, "limit_fen": limit},
            member=i.members[0],
        )
        for i in items
        if i.kind in BUSINESS_KINDS and i.value_fen > limit
    ]


def asset_limit_findings(
    items: Sequence[AssetItem], labels: Sequence[str], standards: RegionStandards
) -> list[RiskWarning]:
    """Findings in a fixed order: deposits, vehicles, houses, then businesses as reported."""
    members = len(labels)
    found = [
        _deposit_finding(items, members, standards),
        _vehicle_finding(items, standards),
        _house_finding(items, standards),
    ]
    return [f for f in found if f is not None] + _business_findings(items, labels, standards)
