"""The pure amount rules (domain/amount_rules.py) and the policy's per-type ceiling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.amount_rules import (
    AmountNotAllowed,
    approval_total_fen,
    ceiling_fen,
    check_ceiling,
    decided_form,
    formula_ceiling_fen,
    raise_needs_county,
    township_must_refer,
)
from domain.enums import AssistanceType
from domain.forms import ApprovalForm
from domain.policy import AssistancePolicy, PolicyBook
from infra.policy_config import load_policy_book
from tests.conftest import REPO

BOOK: PolicyBook = load_policy_book(Path(REPO / "config" / "policies.toml"))


def policy(t: AssistanceType, county: str = "440105") -> AssistancePolicy:
    return BOOK.resolve(t, county)


def test_every_type_has_a_ceiling_and_the_shipped_ones_are_per_type() -> None:
    ceilings = {t: ceiling_fen(policy(t)) for t in AssistanceType}
    assert ceilings[AssistanceType.DIBAO] == 1_000_000
    assert ceilings[AssistanceType.TEKUN] == 500_000
    assert ceilings[AssistanceType.DISABILITY_SUBSIDY] == 50_000
    assert ceilings[AssistanceType.DIBAO_EDGE] == 0  # recognition without cash
    assert ceilings[AssistanceType.TEMP_EMERGENCY] == ceilings[AssistanceType.TEMP_EXPENDITURE] == 3_000_000
    # The default standards' formula stays under each type's ceiling for a big household.
    dibao = policy(AssistanceType.DIBAO)
    assert (formula_ceiling_fen(dibao, 8, 0) or 0) <= ceilings[AssistanceType.DIBAO]
    assert (formula_ceiling_fen(policy(AssistanceType.TEKUN), 1, 0) or 0) <= ceilings[AssistanceType.TEKUN]


def test_ceiling_is_inclusive_and_refused_above_with_a_chinese_reason() -> None:
    dibao = policy(AssistanceType.DIBAO)
    check_ceiling(dibao, 1_000_000)
    with pytest.raises(
        AmountNotAllowed, match=re.escape("每月救助金额10000.01元超过城乡低保的上限10000.00元")
    ):
        check_ceiling(dibao, 1_000_001)
    with pytest.raises(AmountNotAllowed, match="单次救助总额"):
        check_ceiling(policy(AssistanceType.TEMP_EXPENDITURE), 3_000_001)
    with pytest.raises(AmountNotAllowed, match="不发放现金"):
        check_ceiling(policy(AssistanceType.DIBAO_EDGE), 1)


def test_a_negative_ceiling_in_the_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="max_monthly_amount_fen"):
        AssistancePolicy(AssistanceType.DIBAO, "城乡低保", max_monthly_amount_fen=-1)


def test_approval_total_and_the_township_referral() -> None:
    temp = policy(AssistanceType.TEMP_EXPENDITURE)
    plain = ApprovalForm(opinion="同意救助")
    assert approval_total_fen(plain, 351_000) == 351_000
    adjusted = ApprovalForm(
        opinion="同意救助", adjusted_amount_fen=600_000, adjustment_reason="按实际支出核定"
    )
    assert approval_total_fen(adjusted, 351_000) == 600_000
    staged = ApprovalForm(opinion="同意救助", stages_fen=[300_000, 300_000])
    assert approval_total_fen(staged, 351_000) == 600_000
    assert approval_total_fen(staged, 291_000, recurring=True) == 291_000  # stages do not apply
    assert not township_must_refer(temp, 500_000)  # equal to the limit: the township's to decide
    assert township_must_refer(temp, 500_001)
    assert not township_must_refer(policy(AssistanceType.DIBAO), 900_000)  # monthly: not 一事一议


def test_the_county_decides_the_amount_of_a_referred_grant_or_takes_the_townships() -> None:
    township = ApprovalForm(opinion="拟救助", stages_fen=[400_000, 400_000], form_of_aid="cash")
    agreed = decided_form(township, ApprovalForm(opinion="一事一议，同意"))
    assert agreed.stages_fen == [400_000, 400_000]
    own = ApprovalForm(
        opinion="一事一议，核减", adjusted_amount_fen=500_000, adjustment_reason="核减至乡镇限额"
    )
    assert decided_form(township, own) == own


def test_a_re_review_raise_needs_the_county_only_beyond_the_formula() -> None:
    dibao = policy(AssistanceType.DIBAO)
    # 3 people, 600 元: (1170 − 200) × 3 = 2910 元.
    assert formula_ceiling_fen(dibao, 3, 60_000) == 291_000
    assert not raise_needs_county(dibao, 3, 250_000, 291_000, 60_000)
    assert raise_needs_county(dibao, 3, 250_000, 291_001, 60_000)
    assert not raise_needs_county(dibao, 3, 400_000, 350_000, 60_000)  # a cut is never referred
    # Size unknown (enrolled before it was recorded): any raise goes to the county, a cut does not.
    assert raise_needs_county(dibao, None, 250_000, 250_001, 60_000)
    assert not raise_needs_county(dibao, None, 250_000, 200_000, 60_000)
    tekun = policy(AssistanceType.TEKUN)
    assert formula_ceiling_fen(tekun, 1, 0) == 152_100 + 150_000
