"""Who may grant how much: the ceilings of a case's policy and the approval authority over amounts.

Pure rules, shared by the application workflow's and the lifecycle's update validators (a refusal
there is synchronous: the API answers 422 and the case does not change) and by the stage logic that
routes a big grant to the county. Money is integer fen.

- A recurring type's monthly amount never exceeds the type's `max_monthly_amount_fen`; a one-off
  临时救助 grant (one payment or the sum of its stages) never exceeds `temp_cap_fen`; a type that
  pays no cash (低保边缘家庭) has a ceiling of 0. Nobody may pass a ceiling, the county included:
  a higher amount is a change of the policy, not a decision on a case.
- 一事一议: a one-off grant above `temp_township_limit_fen` decided by the township goes to the
  county approver; it is not refused, and nothing is paid on the township's word alone.
- A re-review (复核) that raises a monthly amount beyond what the standard formula gives for the
  household as re-checked needs the county approver's confirmation: the investigator's finding
  alone may lower an amount or follow the formula, not raise it past the formula.
"""

from __future__ import annotations

from domain.amounts import (
    dibao_monthly_amount_fen,
    format_yuan,
    needs_county_decision,
    per_capita_monthly_income_fen,
)
from domain.forms import ApprovalForm
from domain.policy import AmountRule, AssistancePolicy

# The ApplicationError type of these refusals; the API maps it to 422 `amount_not_allowed`.
AMOUNT_NOT_ALLOWED = "AmountNotAllowed"


class AmountNotAllowed(ValueError):
    """An amount beyond what the policy allows anyone to grant; the message is the Chinese reason."""


def one_off(policy: AssistancePolicy) -> bool:
    return not policy.recurring


def ceiling_fen(policy: AssistancePolicy) -> int:
    """The most one decision may grant: per month for a recurring type, in all for a one-off."""
    if policy.recurring:
        return policy.max_monthly_amount_fen
    if policy.amount_rule is AmountRule.TEMPORARY_TABLE:
        return policy.standards.temp_cap_fen
    return policy.max_monthly_amount_fen  # e.g. 低保边缘家庭: 0, recognition without cash


def check_ceiling(policy: AssistancePolicy, amount_fen: int) -> None:
    cap = ceiling_fen(policy)
    if amount_fen <= cap:
        return
    if cap == 0:
        raise AmountNotAllowed(f"{policy.label}不发放现金救助，不能批准{format_yuan(amount_fen)}")
    what = "每月救助金额" if policy.recurring else "单次救助总额"
    raise AmountNotAllowed(
        f"{what}{format_yuan(amount_fen)}超过{policy.label}的上限{format_yuan(cap)}，"
        "不能批准；如确有需要，须按政策调整上限"
    )


def approval_total_fen(form: ApprovalForm, proposed_fen: int | None, recurring: bool = False) -> int:
    """What an approval grants: the stages' sum (one-off types only: a monthly amount is paid
    whatever stages say), else the adjusted amount, else the proposal."""
    if form.stages_fen and not recurring:
        return sum(form.stages_fen)
    if form.adjusted_amount_fen is not None:
        return form.adjusted_amount_fen
    return proposed_fen or 0


def sets_amount(form: ApprovalForm) -> bool:
    return bool(form.stages_fen) or form.adjusted_amount_fen is not None


def amounts_set(form: ApprovalForm) -> list[int]:
    """Every amount an approval form sets — the adjusted amount and the stages' sum, each — so a
    ceiling is checked on what any path may pay, not only on what `approval_total_fen` picks (the
    急难型 county decision pays the adjusted amount, a 支出型 grant its stages)."""
    amounts = [form.adjusted_amount_fen] if form.adjusted_amount_fen is not None else []
    return [*amounts, sum(form.stages_fen)] if form.stages_fen else amounts


def township_must_refer(policy: AssistancePolicy, amount_fen: int) -> bool:
    """一事一议: a one-off grant the township may not decide alone (strictly above its limit)."""
    return one_off(policy) and needs_county_decision(amount_fen, policy.standards.temp_township_limit_fen)


def decided_form(township: ApprovalForm, county: ApprovalForm) -> ApprovalForm:
    """The county's decision on a grant the township referred: the county's own amount (and way of
    paying) when it set one, else the township's, with the county's category if it gave one."""
    if sets_amount(county):
        return county
    return township.model_copy(update={"category": county.category or township.category})


# -- re-reviews ---------------------------------------------------------------------------------
def formula_ceiling_fen(
    policy: AssistancePolicy, household_size: int | None, monthly_income_fen: int
) -> int | None:
    """The most the standard formula gives this household after a re-review, or None when it
    cannot be computed (a household enrolled before its size was recorded).

    The re-review form records the household's income, not a new self-care or disability
    assessment: for 特困 and 两项补贴 the highest level of the table bounds the formula."""
    s = policy.standards
    rule = policy.amount_rule
    if rule is AmountRule.DIBAO_GAP:
        if not household_size:
            return None
        pci = per_capita_monthly_income_fen(monthly_income_fen, household_size)
        return dibao_monthly_amount_fen(s.dibao_standard_fen, s.dibao_floor_fen, pci, household_size)
    if rule is AmountRule.TEKUN_SUPPORT:
        return s.tekun_basic_fen + max(s.tekun_care_fen.values(), default=0)
    if rule is AmountRule.DISABILITY_TABLE:
        return s.disability_living_fen + max(s.disability_care_fen.values(), default=0)
    return 0


def raise_needs_county(
    policy: AssistancePolicy,
    household_size: int | None,
    current_fen: int,
    new_fen: int,
    monthly_income_fen: int,
) -> bool:
    """A re-review's new amount the county must confirm: a raise beyond the formula, or any raise
    where the formula cannot be computed (a household enrolled before its size was recorded:
    otherwise an investigator alone could raise it up to the type's ceiling)."""
    if new_fen <= current_fen:
        return False
    formula = formula_ceiling_fen(policy, household_size, monthly_income_fen)
    return formula is None or new_fen > formula
