"""Risk rules (预警, seed 004) at their boundaries: exactly at a threshold is not a warning, just
over it is; every warning's text carries the figures (as format_yuan shows them) and its source."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.amounts import format_yuan
from domain.department_data import INCOME_HISTORY_MONTHS, months_before
from domain.departments import Asset, Department, DepartmentResult, MedicalBill, MonthlyIncome
from domain.household_assessment import HouseholdAssessment, assess_household
from domain.policy import RegionStandards
from domain.risk import RULE_TITLES, RiskRule, RiskWarning, Warning

AS_OF = date(2026, 5, 15)
RECENT = months_before(AS_OF, 3)  # 2026-02 … 2026-04
PREVIOUS = months_before(AS_OF, 6, skip=3)  # 2025-08 … 2026-01
STANDARDS = RegionStandards()


def incomes(member: int, months: tuple[str, ...], *amounts: int, kind: str = "wage") -> list[MonthlyIncome]:
    """One record per month; a single amount is repeated for every month."""
    values = amounts if len(amounts) == len(months) else amounts * len(months)
    return [MonthlyIncome(member, m, a, kind) for m, a in zip(months, values, strict=True)]


def assess(
    *results: DepartmentResult,
    declared: tuple[int, ...] = (0,),
    standards: RegionStandards = STANDARDS,
    labels: list[str] | None = None,
) -> HouseholdAssessment:
    return assess_household(
        list(declared), list(results), None, standards=standards, as_of=AS_OF, member_labels=labels
    )


def only(assessment: HouseholdAssessment, rule: RiskRule) -> list[RiskWarning]:
    return [w for w in assessment.warnings if w.rule is rule]


def test_the_windows_are_whole_months_before_the_month_of_the_check() -> None:
    assert RECENT == ("2026-02", "2026-03", "2026-04")
    assert PREVIOUS == ("2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01")
    assert INCOME_HISTORY_MONTHS == 9
    assert months_before(date(2026, 1, 31), 2) == ("2025-11", "2025-12")


# --- income change > 20 % --------------------------------------------------------------------------


def tax(*records: list[MonthlyIncome]) -> DepartmentResult:
    return DepartmentResult(Department.TAX, incomes=[r for rs in records for r in rs])


def test_income_rise_of_exactly_20_percent_is_not_a_warning() -> None:
    result = tax(incomes(0, PREVIOUS, 250_000), incomes(0, RECENT, 300_000))
    assert only(assess(result), RiskRule.INCOME_CHANGE) == []


def test_income_rise_one_fen_over_20_percent_is_a_warning_with_its_figures() -> None:
    # recent average 300001 fen = 2500.00 元 × 1.2 + 1 fen
    result = tax(incomes(0, PREVIOUS, 250_000), incomes(0, RECENT, 300_000, 300_000, 300_003))
    [warning] = only(assess(result), RiskRule.INCOME_CHANGE)
    assert warning.member == 0 and warning.sources == ("tax",)
    assert warning.figures == {
        "before_fen": 250_000,
        "after_fen": 300_001,
        "change_bp": 2000,
        "threshold_bp": 2000,
    }
    assert warning.on == date(2026, 4, 30)
    assert warning.title == RULE_TITLES[RiskRule.INCOME_CHANGE]
    assert format_yuan(300_001) in warning.explanation and format_yuan(250_000) in warning.explanation
    assert "增长20.0%，超过20%" in warning.explanation and "税务部门" in warning.explanation


def test_averages_are_compared_as_shown_rounded_to_the_fen() -> None:
    # 300000.33 fen is shown as 3000.00 元 — exactly 20 % over 2500.00 元 — and compared as shown.
    result = tax(incomes(0, PREVIOUS, 250_000), incomes(0, RECENT, 300_000, 300_000, 300_001))
    assert only(assess(result), RiskRule.INCOME_CHANGE) == []


def test_the_briefs_example_names_the_member_given_by_the_caller() -> None:
    result = tax(incomes(1, PREVIOUS, 250_000), incomes(1, RECENT, 320_000))
    [warning] = only(
        assess(result, declared=(0, 0), labels=["张*华（成员1）", "张*明（成员2）"]), RiskRule.INCOME_CHANGE
    )
    assert warning.explanation == (
        "张*明（成员2）近3个月（2026-02至2026-04）月均收入3200.00元，"
        "较此前6个月（2025-08至2026-01）月均2500.00元增长28.0%，超过20%（来源：税务部门）"
    )
    assert warning.member == 1 and warning.figures["change_bp"] == 2800


def test_a_fall_counts_too_exactly_20_percent_is_not_a_warning() -> None:
    at = tax(incomes(0, PREVIOUS, 250_000), incomes(0, RECENT, 200_000))
    assert only(assess(at), RiskRule.INCOME_CHANGE) == []
    over = tax(incomes(0, PREVIOUS, 250_000), incomes(0, RECENT, 199_999))
    [warning] = only(assess(over), RiskRule.INCOME_CHANGE)
    assert warning.figures["change_bp"] == -2000
    assert "下降20.0%" in warning.explanation and format_yuan(199_999) in warning.explanation


def test_income_appearing_after_six_months_without_any_is_a_warning_without_a_ratio() -> None:
    [warning] = only(assess(tax(incomes(0, RECENT, 80_000))), RiskRule.INCOME_CHANGE)
    assert "change_bp" not in warning.figures and warning.figures["before_fen"] == 0
    assert "新增收入" in warning.explanation and format_yuan(80_000) in warning.explanation


def test_the_same_wage_from_two_departments_counts_once_other_kinds_add_up() -> None:
    social = DepartmentResult(
        Department.SOCIAL_INSURANCE,
        incomes=incomes(0, PREVIOUS + RECENT, 250_000) + incomes(0, RECENT, 60_000, kind="pension"),
    )
    result = tax(incomes(0, PREVIOUS + RECENT, 250_000))
    [warning] = only(assess(result, social), RiskRule.INCOME_CHANGE)
    assert (warning.figures["before_fen"], warning.figures["after_fen"]) == (250_000, 310_000)
    assert warning.sources == ("tax", "social_insurance")
    assert "税务部门、人社部门" in warning.explanation


def test_income_of_the_running_month_is_not_used() -> None:
    result = tax(incomes(0, PREVIOUS + RECENT, 250_000), incomes(0, ("2026-05",), 900_000))
    assert only(assess(result), RiskRule.INCOME_CHANGE) == []


# --- medical out-of-pocket > 30 % of annual household income -----------------------------------------


def bills(*out_of_pocket: int, on: date = date(2026, 3, 1)) -> DepartmentResult:
    return DepartmentResult(
        Department.MEDICAL_INSURANCE,
        medical_bills=[MedicalBill(0, on, paid + 100_000, 100_000) for paid in out_of_pocket],
    )


def test_medical_costs_of_exactly_30_percent_of_annual_income_are_not_a_warning() -> None:
    # monthly income 1000.00 元 → annual 12000.00 元 → 30 % = 3600.00 元
    assert only(assess(bills(200_000, 160_000), declared=(100_000,)), RiskRule.MEDICAL_BURDEN) == []


def test_medical_costs_one_fen_over_30_percent_are_a_warning() -> None:
    [warning] = only(assess(bills(200_000, 160_001), declared=(100_000,)), RiskRule.MEDICAL_BURDEN)
    assert warning.member is None and warning.sources == ("medical_insurance",)
    assert warning.figures == {
        "out_of_pocket_fen": 360_001,
        "annual_income_fen": 1_200_000,
        "ratio_bp": 3000,
        "threshold_bp": 3000,
    }
    assert warning.on == date(2026, 3, 1)
    for text in (format_yuan(360_001), format_yuan(1_200_000), format_yuan(100_000), "30.0%", "医保部门"):
        assert text in warning.explanation


def test_the_twelve_months_of_bills_end_on_the_check_day_and_start_a_year_after() -> None:
    # 2025-05-15 is a year before the check: outside; 2025-05-16 and 2026-05-15 are inside.
    outside = bills(360_001, on=date(2025, 5, 15))
    assert only(assess(outside, declared=(100_000,)), RiskRule.MEDICAL_BURDEN) == []
    for day in (date(2025, 5, 16), AS_OF):
        assert only(assess(bills(360_001, on=day), declared=(100_000,)), RiskRule.MEDICAL_BURDEN)


def test_any_medical_cost_of_a_household_without_income_is_a_warning() -> None:
    [warning] = only(assess(bills(1)), RiskRule.MEDICAL_BURDEN)
    assert "ratio_bp" not in warning.figures and "家庭无收入" in warning.explanation
    assert only(assess(declared=(0,)), RiskRule.MEDICAL_BURDEN) == []


# --- newly registered vehicles and property ----------------------------------------------------------


def registered(kind: str, on: date, department: Department, value: int = 3_000_000) -> DepartmentResult:
    return DepartmentResult(department, assets=[Asset(0, kind, on, value, "")])


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (AS_OF - timedelta(days=91), False),  # the day before the window
        (AS_OF - timedelta(days=90), True),  # the window's first day: 2026-02-14
        (AS_OF, True),  # its last day: the check itself
        (AS_OF + timedelta(days=1), False),  # after the check: not in the window
    ],
)
def test_new_vehicle_window_includes_both_ends(on: date, expected: bool) -> None:
    warnings = only(assess(registered("vehicle", on, Department.VEHICLES)), RiskRule.NEW_VEHICLE)
    assert bool(warnings) is expected
    if expected:
        [warning] = warnings
        assert warning.on == on and warning.sources == ("vehicles",)
        assert warning.figures == {"value_fen": 3_000_000, "window_days": 90}
        assert on.isoformat() in warning.explanation and "2026-02-14至2026-05-15" in warning.explanation
        assert format_yuan(3_000_000) in warning.explanation and "车辆登记机关" in warning.explanation


def test_new_property_and_the_configurable_window() -> None:
    house = registered("house", AS_OF - timedelta(days=31), Department.REAL_ESTATE, 50_000_000)
    [warning] = only(assess(house), RiskRule.NEW_PROPERTY)
    assert "不动产登记机构" in warning.explanation and "成员1名下住宅" in warning.explanation
    assert (
        only(assess(house, standards=RegionStandards(new_asset_window_days=30)), RiskRule.NEW_PROPERTY) == []
    )
    at_edge = RegionStandards(new_asset_window_days=31)
    assert only(assess(house, standards=at_edge), RiskRule.NEW_PROPERTY)


def test_a_new_business_or_deposit_is_not_a_new_vehicle_or_property() -> None:
    business = registered("business", AS_OF, Department.BUSINESS, 100)
    assessment = assess(business)
    assert not only(assessment, RiskRule.NEW_PROPERTY) and not only(assessment, RiskRule.NEW_VEHICLE)


def test_warning_is_the_briefs_name_for_risk_warning() -> None:
    assert Warning is RiskWarning


def test_two_employers_in_one_department_add_up() -> None:
    # Two payers of the same kind in one department are two wages, not one reported twice.
    second_job = incomes(0, RECENT, 100_000)
    result = tax(incomes(0, PREVIOUS + RECENT, 250_000), second_job)
    [warning] = only(assess(result), RiskRule.INCOME_CHANGE)
    assert (warning.figures["before_fen"], warning.figures["after_fen"]) == (250_000, 350_000)
