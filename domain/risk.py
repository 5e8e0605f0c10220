"""Risk rules of the verification stage → the warning list (预警清单, seed 004).

A warning never decides eligibility: it sends the case to closer review, and its text says what was
compared with what, and where the figures came from, so the reviewer can check it. Thresholds are
strict: exactly at the threshold is not a warning, just over it is.

The module has no names: members appear through labels the caller passes in (by default
"成员1", "成员2", … — see domain.figures.member_label), e.g. "张*明（成员2）".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from domain.amounts import format_yuan
from domain.department_data import (
    PREVIOUS_MONTHS,
    PROPERTY_KINDS,
    RECENT_MONTHS,
    VEHICLE_KINDS,
    AssetItem,
    MedicalCosts,
    income_average,
    last_day_of_month,
    months_before,
)
from domain.departments import DepartmentResult
from domain.figures import (
    department_codes,
    exceeds_share,
    percent_text,
    ratio_bp,
    sources_text,
    threshold_text,
)

INCOME_CHANGE_THRESHOLD_BP = 2000  # income change > 20 % (seed 004)
MEDICAL_BURDEN_THRESHOLD_BP = 3000  # medical out-of-pocket > 30 % of annual household income (seed 004)


class RiskRule(StrEnum):
    INCOME_CHANGE = "income_change"
    MEDICAL_BURDEN = "medical_burden"
    NEW_VEHICLE = "new_vehicle"
    NEW_PROPERTY = "new_property"
    DEPOSIT_LIMIT = "deposit_limit"
    VEHICLE_LIMIT = "vehicle_limit"
    HOUSE_LIMIT = "house_limit"
    BUSINESS = "business"


RULE_TITLES: dict[RiskRule, str] = {
    RiskRule.INCOME_CHANGE: "收入变动超过20%",
    RiskRule.MEDICAL_BURDEN: "医疗自付费用超过家庭年收入30%",
    RiskRule.NEW_VEHICLE: "新登记车辆",
    RiskRule.NEW_PROPERTY: "新登记不动产",
    RiskRule.DEPOSIT_LIMIT: "存款等金融资产超过限额",
    RiskRule.VEHICLE_LIMIT: "车辆价值超过限额",
    RiskRule.HOUSE_LIMIT: "住房超过限定套数",
    RiskRule.BUSINESS: "工商登记注册资金超过限额",
}


@dataclass(frozen=True)
class RiskWarning:
    """One entry of the warning list.

    ``figures`` holds the numbers behind the text: amounts end in ``_fen``, ratios in ``_bp``
    (basis points, 1 % = 100), counts and days have plain names. The keys per rule are listed in
    the functions that build them.
    """

    rule: RiskRule
    title: str
    explanation: str
    sources: tuple[str, ...]  # Department values, "declared", "home_visit" (domain.figures)
    member: int | None = None  # index of the member concerned; None for the whole household
    on: date | None = None  # registration date, last day of the months compared, or latest bill
    figures: dict[str, int] = field(default_factory=dict)


# The brief and the API speak of "Warning"; the class is named RiskWarning so that importing it does
# not shadow Python's built-in Warning by accident. `from domain.risk import Warning` still works.
Warning = RiskWarning


def _owners(members: Iterable[int], labels: Sequence[str]) -> str:
    return "、".join(labels[m] for m in members)


# --- income change ---------------------------------------------------------------------------------


def income_change_warnings(
    results: Sequence[DepartmentResult], labels: Sequence[str], as_of: date
) -> list[RiskWarning]:
    """Per member: the department income averaged over the last 3 months against the 6 months
    before them; a change of more than 20 % either way is a warning.

    Per member, not per household: a rise of one member hidden by another's fall is still a
    change of circumstances, and the reviewer needs to know whom to ask. A fall counts as much as a
    rise — income stopping just before an application is worth a question too. The rounded
    averages shown are the figures compared, so the text can be checked by hand. Income appearing
    where the previous 6 months had none is a warning without a ratio.

    figures: before_fen, after_fen, change_bp (signed: negative for a fall), threshold_bp.
    """
    recent = months_before(as_of, RECENT_MONTHS)
    previous = months_before(as_of, PREVIOUS_MONTHS, skip=RECENT_MONTHS)
    warnings: list[RiskWarning] = []
    for member, label in enumerate(labels):
        after = income_average(results, member, len(labels), recent)
        before = income_average(results, member, len(labels), previous)
        change = after.average_fen - before.average_fen
        if before.average_fen == 0 and after.average_fen == 0:
            continue
        sources = department_codes((*before.departments, *after.departments))
        head = f"{label}近{RECENT_MONTHS}个月（{after.period}）月均收入{format_yuan(after.average_fen)}，"
        if before.average_fen == 0:
            text = f"{head}此前{PREVIOUS_MONTHS}个月（{before.period}）部门数据无收入，属新增收入"
        elif exceeds_share(abs(change), before.average_fen, INCOME_CHANGE_THRESHOLD_BP):
            direction = "增长" if change > 0 else "下降"
            text = (
                f"{head}较此前{PREVIOUS_MONTHS}个月（{before.period}）月均{format_yuan(before.average_fen)}"
                f"{direction}{percent_text(change, before.average_fen)}，"
                f"超过{threshold_text(INCOME_CHANGE_THRESHOLD_BP)}"
            )
        else:
            continue
        figures = {
            "before_fen": before.average_fen,
            "after_fen": after.average_fen,
            "threshold_bp": INCOME_CHANGE_THRESHOLD_BP,
        }
        change_bp = ratio_bp(change, before.average_fen)
        if change_bp is not None:
            figures["change_bp"] = change_bp
        warnings.append(
            RiskWarning(
                rule=RiskRule.INCOME_CHANGE,
                title=RULE_TITLES[RiskRule.INCOME_CHANGE],
                explanation=f"{text}（来源：{sources_text(sources)}）",
                sources=sources,
                member=member,
                on=last_day_of_month(recent[-1]),
                figures=figures,
            )
        )
    return warnings


# --- medical burden --------------------------------------------------------------------------------


def medical_burden_warning(medical: MedicalCosts, monthly_income_fen: int) -> RiskWarning | None:
    """Out-of-pocket medical costs of the last 12 months against 12 × the household's monthly
    income used for eligibility; more than 30 % is a warning. With no income at all, any
    out-of-pocket cost is over the threshold (the ratio is then not shown).

    figures: out_of_pocket_fen, annual_income_fen, ratio_bp (when income > 0), threshold_bp.
    """
    annual = 12 * monthly_income_fen
    if not exceeds_share(medical.out_of_pocket_fen, annual, MEDICAL_BURDEN_THRESHOLD_BP):
        return None
    share = (
        f"占家庭年收入{format_yuan(annual)}（月收入{format_yuan(monthly_income_fen)}×12）"
        f"的{percent_text(medical.out_of_pocket_fen, annual)}"
        if annual
        else "而家庭无收入"
    )
    figures = {
        "out_of_pocket_fen": medical.out_of_pocket_fen,
        "annual_income_fen": annual,
        "threshold_bp": MEDICAL_BURDEN_THRESHOLD_BP,
    }
    share_bp = ratio_bp(medical.out_of_pocket_fen, annual)
    if share_bp is not None:
        figures["ratio_bp"] = share_bp
    sources = department_codes(medical.departments)
    return RiskWarning(
        rule=RiskRule.MEDICAL_BURDEN,
        title=RULE_TITLES[RiskRule.MEDICAL_BURDEN],
        explanation=(
            f"近12个月（{medical.period}）{medical.bills}笔医疗费用个人自付"
            f"{format_yuan(medical.out_of_pocket_fen)}，{share}，"
            f"超过{threshold_text(MEDICAL_BURDEN_THRESHOLD_BP)}（来源：{sources_text(sources)}）"
        ),
        sources=sources,
        on=medical.latest_bill,
        figures=figures,
    )


# --- newly registered vehicles and property -------------------------------------------------------


def new_asset_warnings(
    items: Iterable[AssetItem], labels: Sequence[str], as_of: date, window_days: int
) -> list[RiskWarning]:
    """A vehicle or property (house, shop, land) registered from as_of − window_days to as_of,
    both days included: with 90 days and as_of 2026-05-15, from 2026-02-14 to 2026-05-15.

    figures: value_fen, window_days.
    """
    first_day = as_of - timedelta(days=window_days)
    warnings: list[RiskWarning] = []
    for item in items:
        if item.registered_on is None or not first_day <= item.registered_on <= as_of:
            continue
        if item.kind in VEHICLE_KINDS:
            rule = RiskRule.NEW_VEHICLE
        elif item.kind in PROPERTY_KINDS:
            rule = RiskRule.NEW_PROPERTY
        else:
            continue
        sources = department_codes([item.department])
        warnings.append(
            RiskWarning(
                rule=rule,
                title=RULE_TITLES[rule],
                explanation=(
                    f"{_owners(item.members, labels)}名下{item.label}（价值{format_yuan(item.value_fen)}）"
                    f"于{item.registered_on.isoformat()}登记，在核查日前{window_days}天内"
                    f"（{first_day.isoformat()}至{as_of.isoformat()}，含首尾两日）"
                    f"（来源：{sources_text(sources)}）"
                ),
                sources=sources,
                member=item.members[0],
                on=item.registered_on,
                figures={"value_fen": item.value_fen, "window_days": window_days},
            )
        )
    return warnings
