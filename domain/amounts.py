"""Assistance amounts: pure calculations on integer fen (分).

Money is always an ``int`` number of fen, never a float: bank payroll files and the monthly public
disclosure must add up to the fen, and binary floats cannot represent 0.01 yuan exactly. The one
division in this module (per-capita income) is done in integer arithmetic and rounded half-up to
the fen, the way the figure is rounded on the paper calculation sheet.

Regional standards (低保标准, 保底金额, 特困供养标准, 临时救助 tables, 两项补贴 amounts) are inputs:
counties set them, so nothing here hard-codes a value. Error messages are Chinese because they
reach the clerk's screen unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


def _require_int(value: int, label: str) -> None:
    # Type hints do not stop a float arriving from JSON or a spreadsheet import; refuse it rather
    # than let 0.1 + 0.2 into a payroll. bool is an int subclass but never a meaningful amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label}必须是整数（金额以分为单位），收到：{value!r}")


def _require_fen(value: int, label: str) -> None:
    """An amount in fen: an integer, not negative."""
    _require_int(value, label)
    if value < 0:
        raise ValueError(f"{label}不能为负数，收到：{value}")


def _require_members(members: int, label: str = "家庭人口数") -> None:
    _require_int(members, label)
    if members < 1:
        raise ValueError(f"{label}至少为1人，收到：{members}")


# --- 城乡低保 -------------------------------------------------------------------------------------


def per_capita_monthly_income_fen(total_monthly_income_fen: int, members: int) -> int:
    """家庭月人均收入: household monthly income ÷ members, rounded half-up to the fen.

    Integer arithmetic (no float, no Decimal context): with ``q, r = divmod(total, members)`` the
    remainder is at least half a fen exactly when ``2 * r >= members``.
    """
    _require_fen(total_monthly_income_fen, "家庭月收入")
    _require_members(members)
    quotient, remainder = divmod(total_monthly_income_fen, members)
    return quotient + 1 if 2 * remainder >= members else quotient


def dibao_monthly_amount_fen(
    standard_fen: int, floor_fen: int, per_capita_income_fen: int, members: int
) -> int:
    """城乡低保 monthly amount by the gap rule (补差).

    Not eligible (0) when per-capita income reaches the standard. Otherwise every member receives
    the gap, but never less than the region's per-person minimum (保底), so a household just under
    the line still gets a payment worth issuing.
    """
    _require_fen(standard_fen, "低保标准")
    _require_fen(floor_fen, "保底金额")
    _require_fen(per_capita_income_fen, "家庭月人均收入")
    _require_members(members)
    if per_capita_income_fen >= standard_fen:
        return 0
    per_person = max(standard_fen - per_capita_income_fen, floor_fen)
    return per_person * members


# --- 特困人员: 生活自理能力评估 --------------------------------------------------------------------


class SelfCareItem(StrEnum):
    """The six activities of 《特困人员认定办法》 used to assess self-care ability."""

    EATING = "eating"  # 自主吃饭
    DRESSING = "dressing"  # 自主穿衣
    BED_TRANSFER = "bed_transfer"  # 自主上下床
    TOILETING = "toileting"  # 自主如厕
    INDOOR_WALKING = "indoor_walking"  # 室内行走
    BATHING = "bathing"  # 自主洗澡


SELF_CARE_ITEM_LABELS: dict[SelfCareItem, str] = {
    SelfCareItem.EATING: "自主吃饭",
    SelfCareItem.DRESSING: "自主穿衣",
    SelfCareItem.BED_TRANSFER: "自主上下床",
    SelfCareItem.TOILETING: "自主如厕",
    SelfCareItem.INDOOR_WALKING: "室内行走",
    SelfCareItem.BATHING: "自主洗澡",
}


class CareLevel(StrEnum):
    FULL_SELF_CARE = "full_self_care"  # 生活自理: no item lost
    PARTIAL_LOSS = "partial_loss"  # 部分丧失生活自理能力: 1–3 items lost
    FULL_LOSS = "full_loss"  # 完全丧失生活自理能力: 4–6 items lost


CARE_LEVEL_LABELS: dict[CareLevel, str] = {
    CareLevel.FULL_SELF_CARE: "生活自理",
    CareLevel.PARTIAL_LOSS: "部分丧失生活自理能力",
    CareLevel.FULL_LOSS: "完全丧失生活自理能力",
}

# Fewest items lost for each level, checked from the most severe down.
_PARTIAL_LOSS_FROM = 1
_FULL_LOSS_FROM = 4


def care_level_from_assessment(unable: Iterable[SelfCareItem]) -> CareLevel:
    """Care level from the items the person cannot do; an item ticked twice counts once.

    Values are coerced through ``SelfCareItem`` so that a stray string from a form cannot inflate
    the count and move someone into a higher (better paid) care level.
    """
    lost: set[SelfCareItem] = set()
    for item in unable:
        try:
            lost.add(SelfCareItem(item))
        except ValueError as exc:
            allowed = "、".join(f"{i.value}（{SELF_CARE_ITEM_LABELS[i]}）" for i in SelfCareItem)
            raise ValueError(f"未知的生活自理能力评估项目：{item!r}，可选：{allowed}") from exc
    if len(lost) >= _FULL_LOSS_FROM:
        return CareLevel.FULL_LOSS
    if len(lost) >= _PARTIAL_LOSS_FROM:
        return CareLevel.PARTIAL_LOSS
    return CareLevel.FULL_SELF_CARE


def tekun_monthly_amount_fen(
    basic_support_fen: int, care_standards_fen: Mapping[CareLevel, int], level: CareLevel
) -> int:
    """特困人员 monthly support: 基本生活标准 plus the 照料护理标准 of the person's care level.

    A level missing from the regional table is a configuration gap; refusing is safer than paying
    the basic amount alone without anyone noticing.
    """
    _require_fen(basic_support_fen, "基本生活标准")
    label = CARE_LEVEL_LABELS.get(level, str(level))
    if level not in care_standards_fen:
        raise ValueError(f"未配置“{label}”的照料护理标准，请先维护本地特困人员供养标准")
    care_fen = care_standards_fen[level]
    _require_fen(care_fen, f"“{label}”的照料护理标准")
    return basic_support_fen + care_fen


# --- 临时救助 --------------------------------------------------------------------------------------


def temporary_assistance_amount_fen(
    standard_fen: int,
    household_size: int,
    months_by_severity: Mapping[str, int],
    severity: str,
    cap_fen: int,
) -> int:
    """临时救助 by the policy table: months for the severity × monthly standard × household size.

    The result never exceeds ``cap_fen`` (the ceiling of a single grant).
    """
    _require_fen(standard_fen, "救助标准")
    _require_members(household_size)
    _require_fen(cap_fen, "救助金额上限")
    if severity not in months_by_severity:
        allowed = "、".join(months_by_severity) or "（未配置）"
        raise ValueError(f"未知的困难程度：{severity!r}，可选：{allowed}")
    months = months_by_severity[severity]
    _require_int(months, f"困难程度“{severity}”对应的救助月数")
    if months < 0:
        raise ValueError(f"困难程度“{severity}”对应的救助月数不能为负数，收到：{months}")
    return min(months * standard_fen * household_size, cap_fen)


def needs_county_decision(amount_fen: int, township_limit_fen: int) -> bool:
    """一事一议: an amount strictly above the township's approval limit goes to the county.

    Equal to the limit is still within the township's authority.
    """
    _require_fen(amount_fen, "救助金额")
    _require_fen(township_limit_fen, "乡镇审批限额")
    return amount_fen > township_limit_fen


# --- 残疾人两项补贴 --------------------------------------------------------------------------------


def disability_subsidy_amount_fen(
    living_subsidy_fen: int,
    care_subsidy_by_level_fen: Mapping[str, int],
    eligible_for_living: bool,
    disability_level: str | None,
) -> int:
    """残疾人两项补贴 per month: the two subsidies are independent and add up.

    困难残疾人生活补贴 when ``eligible_for_living``; 重度残疾人护理补贴 when the disability level is
    one of the table's keys (typically "1" and "2" for 一级/二级). Other levels, or none, add nothing.
    """
    _require_fen(living_subsidy_fen, "困难残疾人生活补贴标准")
    total = living_subsidy_fen if eligible_for_living else 0
    if disability_level is not None and disability_level in care_subsidy_by_level_fen:
        care_fen = care_subsidy_by_level_fen[disability_level]
        _require_fen(care_fen, f"残疾等级“{disability_level}”的重度残疾人护理补贴标准")
        total += care_fen
    return total


# --- display ---------------------------------------------------------------------------------------


def format_yuan(fen: int) -> str:
    """123456 → "1234.56元", -5 → "-0.05元"; no thousands separator, as on payroll sheets."""
    _require_int(fen, "金额")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}元"
