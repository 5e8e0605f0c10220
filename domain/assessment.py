"""The proposed monthly (or one-off) amount of a case, from its policy and verified figures."""

from __future__ import annotations

from domain.amounts import (
    CareLevel,
    care_level_from_assessment,
    dibao_monthly_amount_fen,
    disability_subsidy_amount_fen,
    per_capita_monthly_income_fen,
    tekun_monthly_amount_fen,
    temporary_assistance_amount_fen,
)
from domain.forms import OpinionForm
from domain.household_assessment import combine_household_income_fen
from domain.policy import AmountRule, AssistancePolicy


def household_income_fen(declared: int, visit_found: int | None, department: int | None) -> int:
    """The highest of what was declared, found on the visit and reported by departments: hidden
    income found by either check is never discounted by a lower declaration.

    The household-total form of domain.household_assessment's rule: the documented income is the
    higher of declared and department, and the visit adds what it found beyond that.
    """
    documented = declared if department is None else max(declared, department)
    total, _hidden = combine_household_income_fen(documented, visit_found)
    return total


def proposed_amount_fen(
    policy: AssistancePolicy, household_size: int, monthly_income_fen: int, opinion: OpinionForm
) -> int:
    s = policy.standards
    rule = policy.amount_rule
    if rule is AmountRule.DIBAO_GAP:
        pci = per_capita_monthly_income_fen(monthly_income_fen, household_size)
        return dibao_monthly_amount_fen(s.dibao_standard_fen, s.dibao_floor_fen, pci, household_size)
    if rule is AmountRule.TEKUN_SUPPORT:
        level = care_level_from_assessment(opinion.unable_items)
        care = {CareLevel(k): v for k, v in s.tekun_care_fen.items()}
        return tekun_monthly_amount_fen(s.tekun_basic_fen, care, level)
    if rule is AmountRule.TEMPORARY_TABLE:
        return temporary_assistance_amount_fen(
            s.dibao_standard_fen,
            household_size,
            s.temp_months_by_severity,
            opinion.severity or "general",
            s.temp_cap_fen,
        )
    if rule is AmountRule.DISABILITY_TABLE:
        return disability_subsidy_amount_fen(
            s.disability_living_fen,
            s.disability_care_fen,
            opinion.eligible_for_living_subsidy,
            opinion.disability_level,
        )
    return 0
