from __future__ import annotations

import re

import pytest

from domain.amounts import (
    CARE_LEVEL_LABELS,
    SELF_CARE_ITEM_LABELS,
    CareLevel,
    SelfCareItem,
    care_level_from_assessment,
    dibao_monthly_amount_fen,
    disability_subsidy_amount_fen,
    format_yuan,
    needs_county_decision,
    per_capita_monthly_income_fen,
    tekun_monthly_amount_fen,
    temporary_assistance_amount_fen,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")

# A plausible regional configuration, in fen.
STANDARD = 90_000  # 低保标准 900.00 元/人·月
FLOOR = 10_000  # 保底 100.00 元/人·月


def assert_exact_int(value: object) -> None:
    # bool is an int subclass; an amount must be a real int, never a float or a bool.
    assert type(value) is int


# --- per-capita income ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "members", "expected"),
    [
        (300_000, 3, 100_000),  # divides exactly
        (100, 3, 33),  # 33.33… fen → down
        (200, 3, 67),  # 66.67 fen → up
        (1, 2, 1),  # exactly half a fen → up (ROUND_HALF_UP)
        (3, 2, 2),  # 1.5 fen → 2
        (5, 4, 1),  # 1.25 fen → 1
        (0, 5, 0),  # no income at all
        (123_457, 1, 123_457),  # one-person household: unchanged
    ],
)
def test_per_capita_income_rounds_half_up_to_the_fen(total: int, members: int, expected: int) -> None:
    result = per_capita_monthly_income_fen(total, members)
    assert result == expected
    assert_exact_int(result)


@pytest.mark.parametrize(
    ("total", "members", "message"),
    [(1000, 0, "家庭人口数"), (1000, -1, "家庭人口数"), (-1, 2, "家庭月收入")],
)
def test_per_capita_income_refuses_impossible_households(total: int, members: int, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        per_capita_monthly_income_fen(total, members)
    assert CHINESE.search(str(info.value))


def test_float_money_is_refused_outright() -> None:
    with pytest.raises(TypeError, match="整数"):
        per_capita_monthly_income_fen(1000.0, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="整数"):
        per_capita_monthly_income_fen(1000, True)  # bool is not a head count


# --- 城乡低保 gap rule ------------------------------------------------------------------------------


def test_income_exactly_at_the_standard_is_not_eligible() -> None:
    result = dibao_monthly_amount_fen(STANDARD, FLOOR, STANDARD, 3)
    assert result == 0
    assert_exact_int(result)


def test_income_above_the_standard_is_not_eligible_and_floor_does_not_apply() -> None:
    assert dibao_monthly_amount_fen(STANDARD, FLOOR, STANDARD + 1, 3) == 0


def test_one_fen_below_the_standard_gets_the_floor_for_every_member() -> None:
    assert dibao_monthly_amount_fen(STANDARD, FLOOR, STANDARD - 1, 3) == FLOOR * 3


def test_floor_and_gap_crossover() -> None:
    # Gap exactly equal to the floor: either reading gives the same amount.
    assert dibao_monthly_amount_fen(STANDARD, FLOOR, STANDARD - FLOOR, 2) == FLOOR * 2
    # Gap one fen under the floor: the floor wins.
    assert dibao_monthly_amount_fen(STANDARD, FLOOR, STANDARD - FLOOR + 1, 2) == FLOOR * 2
    # Gap one fen over the floor: the gap wins.
    assert dibao_monthly_amount_fen(STANDARD, FLOOR, STANDARD - FLOOR - 1, 2) == (FLOOR + 1) * 2


def test_gap_is_paid_per_member() -> None:
    # 900 − 350.50 = 549.50 元 per person, four people → 2198.00 元.
    result = dibao_monthly_amount_fen(STANDARD, FLOOR, 35_050, 4)
    assert result == 219_800
    assert_exact_int(result)


def test_household_without_income_receives_the_full_standard() -> None:
    assert dibao_monthly_amount_fen(STANDARD, FLOOR, 0, 2) == STANDARD * 2


def test_region_without_a_floor_pays_the_bare_gap() -> None:
    assert dibao_monthly_amount_fen(STANDARD, 0, STANDARD - 1, 1) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, FLOOR, 0, 1), "低保标准"),
        ((STANDARD, -1, 0, 1), "保底"),
        ((STANDARD, FLOOR, -1, 1), "人均收入"),
        ((STANDARD, FLOOR, 0, 0), "家庭人口数"),
    ],
)
def test_dibao_refuses_invalid_inputs_in_chinese(args: tuple[int, int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        dibao_monthly_amount_fen(*args)
    assert CHINESE.search(str(info.value))


# --- 特困人员 self-care assessment ------------------------------------------------------------------

ITEMS = list(SelfCareItem)


@pytest.mark.parametrize(
    ("lost", "expected"),
    [
        (0, CareLevel.FULL_SELF_CARE),
        (1, CareLevel.PARTIAL_LOSS),
        (3, CareLevel.PARTIAL_LOSS),
        (4, CareLevel.FULL_LOSS),
        (6, CareLevel.FULL_LOSS),
    ],
)
def test_care_level_boundaries(lost: int, expected: CareLevel) -> None:
    assert care_level_from_assessment(ITEMS[:lost]) == expected


def test_an_item_ticked_twice_counts_once() -> None:
    three_with_repeats = [
        SelfCareItem.EATING,
        SelfCareItem.EATING,
        SelfCareItem.BATHING,
        SelfCareItem.TOILETING,
        SelfCareItem.BATHING,
    ]
    assert care_level_from_assessment(three_with_repeats) == CareLevel.PARTIAL_LOSS


def test_assessment_accepts_any_iterable_and_plain_values() -> None:
    assert care_level_from_assessment(iter(ITEMS)) == CareLevel.FULL_LOSS
    # Values as they arrive from a form; "eating" twice (once as str, once as enum) is one item.
    from_form = ["eating", SelfCareItem.EATING, "dressing", "bed_transfer", "toileting"]
    assert care_level_from_assessment(from_form) == CareLevel.FULL_LOSS  # type: ignore[arg-type]


def test_unknown_assessment_item_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="生活自理能力评估项目") as info:
        care_level_from_assessment(["flying"])  # type: ignore[list-item]
    assert "自主洗澡" in str(info.value)


def test_every_level_and_item_has_a_chinese_label() -> None:
    assert set(CARE_LEVEL_LABELS) == set(CareLevel)
    assert set(SELF_CARE_ITEM_LABELS) == set(SelfCareItem)
    assert CARE_LEVEL_LABELS[CareLevel.FULL_SELF_CARE] == "生活自理"
    assert CARE_LEVEL_LABELS[CareLevel.PARTIAL_LOSS] == "部分丧失生活自理能力"
    assert CARE_LEVEL_LABELS[CareLevel.FULL_LOSS] == "完全丧失生活自理能力"


def test_enum_values_are_stable_identifiers() -> None:
    assert [item.value for item in SelfCareItem] == [
        "eating",
        "dressing",
        "bed_transfer",
        "toileting",
        "indoor_walking",
        "bathing",
    ]
    assert [level.value for level in CareLevel] == ["full_self_care", "partial_loss", "full_loss"]


# --- 特困人员 amount --------------------------------------------------------------------------------

CARE_STANDARDS = {
    CareLevel.FULL_SELF_CARE: 5_000,
    CareLevel.PARTIAL_LOSS: 30_000,
    CareLevel.FULL_LOSS: 90_000,
}


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (CareLevel.FULL_SELF_CARE, 122_000),
        (CareLevel.PARTIAL_LOSS, 147_000),
        (CareLevel.FULL_LOSS, 207_000),
    ],
)
def test_tekun_amount_is_basic_support_plus_care_of_the_level(level: CareLevel, expected: int) -> None:
    result = tekun_monthly_amount_fen(117_000, CARE_STANDARDS, level)
    assert result == expected
    assert_exact_int(result)


def test_tekun_missing_care_standard_is_a_configuration_error_in_chinese() -> None:
    partial_table = {CareLevel.FULL_LOSS: 90_000}
    with pytest.raises(ValueError, match="部分丧失生活自理能力") as info:
        tekun_monthly_amount_fen(117_000, partial_table, CareLevel.PARTIAL_LOSS)
    assert "照料护理标准" in str(info.value)


def test_tekun_refuses_negative_amounts() -> None:
    with pytest.raises(ValueError, match="基本生活标准"):
        tekun_monthly_amount_fen(-1, CARE_STANDARDS, CareLevel.FULL_LOSS)
    with pytest.raises(ValueError, match="照料护理标准"):
        tekun_monthly_amount_fen(117_000, {CareLevel.FULL_LOSS: -1}, CareLevel.FULL_LOSS)


# --- 临时救助 ---------------------------------------------------------------------------------------

MONTHS = {"一般": 1, "较重": 3, "严重": 6}


def test_temporary_assistance_is_months_times_standard_times_household() -> None:
    result = temporary_assistance_amount_fen(STANDARD, 2, MONTHS, "较重", 10_000_000)
    assert result == 3 * STANDARD * 2
    assert_exact_int(result)


def test_temporary_assistance_cap_boundaries() -> None:
    uncapped = 6 * STANDARD * 3  # 16200.00 元
    assert temporary_assistance_amount_fen(STANDARD, 3, MONTHS, "严重", uncapped + 1) == uncapped
    assert (
        temporary_assistance_amount_fen(STANDARD, 3, MONTHS, "严重", uncapped) == uncapped
    )  # cap reached exactly
    assert temporary_assistance_amount_fen(STANDARD, 3, MONTHS, "严重", uncapped - 1) == uncapped - 1


def test_unknown_severity_lists_the_allowed_ones_in_chinese() -> None:
    with pytest.raises(ValueError, match="困难程度") as info:
        temporary_assistance_amount_fen(STANDARD, 2, MONTHS, "特别严重", 10_000_000)
    message = str(info.value)
    assert "特别严重" in message
    for severity in MONTHS:
        assert severity in message


@pytest.mark.parametrize(
    ("standard", "size", "cap", "message"),
    [(-1, 1, 0, "救助标准"), (STANDARD, 0, 0, "家庭人口数"), (STANDARD, 1, -1, "上限")],
)
def test_temporary_assistance_refuses_invalid_inputs(
    standard: int, size: int, cap: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        temporary_assistance_amount_fen(standard, size, MONTHS, "一般", cap)


def test_temporary_assistance_refuses_a_negative_months_table_entry() -> None:
    with pytest.raises(ValueError, match="月数"):
        temporary_assistance_amount_fen(STANDARD, 1, {"一般": -1}, "一般", 10_000_000)


def test_township_limit_equal_stays_one_fen_over_goes_to_county() -> None:
    assert needs_county_decision(500_000, 500_000) is False
    assert needs_county_decision(500_001, 500_000) is True
    assert needs_county_decision(499_999, 500_000) is False


def test_county_decision_refuses_negative_amounts() -> None:
    with pytest.raises(ValueError, match="救助金额"):
        needs_county_decision(-1, 500_000)


# --- 残疾人两项补贴 ---------------------------------------------------------------------------------

CARE_BY_LEVEL = {"1": 15_000, "2": 10_000}
LIVING = 12_000


@pytest.mark.parametrize(
    ("eligible", "level", "expected"),
    [
        (True, "1", LIVING + 15_000),  # both subsidies
        (True, "2", LIVING + 10_000),
        (True, "3", LIVING),  # level 3 gets no care subsidy
        (True, None, LIVING),
        (False, "1", 15_000),  # care subsidy alone
        (False, "4", 0),
        (False, None, 0),
    ],
)
def test_disability_subsidies_add_up_independently(eligible: bool, level: str | None, expected: int) -> None:
    result = disability_subsidy_amount_fen(LIVING, CARE_BY_LEVEL, eligible, level)
    assert result == expected
    assert_exact_int(result)


def test_disability_subsidy_refuses_negative_standards() -> None:
    with pytest.raises(ValueError, match="生活补贴"):
        disability_subsidy_amount_fen(-1, CARE_BY_LEVEL, True, None)
    with pytest.raises(ValueError, match="护理补贴"):
        disability_subsidy_amount_fen(LIVING, {"1": -1}, False, "1")


# --- format_yuan ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (123_456, "1234.56元"),
        (0, "0.00元"),
        (1, "0.01元"),
        (10, "0.10元"),
        (100, "1.00元"),
        (-5, "-0.05元"),
        (-123_456, "-1234.56元"),
        (1_000_000_000, "10000000.00元"),
    ],
)
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


def test_format_yuan_refuses_floats() -> None:
    with pytest.raises(TypeError, match="整数"):
        format_yuan(12.5)  # type: ignore[arg-type]
