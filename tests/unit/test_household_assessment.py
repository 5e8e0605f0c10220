"""Household assessment (精准识别): income from declaration, departments and the home visit, asset
limits, rigid expenditure and the expenditure-type test — each at its boundary, each with its source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.amounts import format_yuan
from domain.assessment import household_income_fen
from domain.department_data import months_before
from domain.departments import (
    Asset,
    Department,
    DepartmentBadData,
    DepartmentResult,
    MedicalBill,
    MonthlyIncome,
)
from domain.enums import AssistanceType
from domain.forms import FourStepFindings, HomeVisitForm
from domain.household_assessment import HouseholdAssessment, assess_household
from domain.policy import RegionStandards
from domain.risk import RiskRule, RiskWarning
from infra.policy_config import load_policy_book

AS_OF = date(2026, 5, 15)
NINE_MONTHS = months_before(AS_OF, 9)
OLD = date(2015, 6, 1)  # registered long ago: never "new"
STANDARDS = RegionStandards()  # 低保 1170.00 元: deposits ≤ 28080.00 元 per person


@dataclass(frozen=True)
class Visit:
    found_monthly_income_fen: int
    rigid_expenses_fen: int = 0


def assess(
    declared: list[int],
    *results: DepartmentResult,
    visit: Visit | HomeVisitForm | None = None,
    standards: RegionStandards = STANDARDS,
) -> HouseholdAssessment:
    return assess_household(declared, list(results), visit, standards=standards, as_of=AS_OF)


def assets(department: Department, *items: Asset) -> DepartmentResult:
    return DepartmentResult(department, assets=list(items))


ASSET_RULES = {RiskRule.DEPOSIT_LIMIT, RiskRule.VEHICLE_LIMIT, RiskRule.HOUSE_LIMIT, RiskRule.BUSINESS}


def rule(assessment: HouseholdAssessment, which: RiskRule) -> list[RiskWarning]:
    found = [w for w in assessment.warnings if w.rule is which]
    # Asset-limit findings are warnings too, and are also listed on their own.
    in_findings = [w for w in assessment.asset_findings if w.rule is which]
    assert in_findings == (found if which in ASSET_RULES else [])
    return found


# --- income ---------------------------------------------------------------------------------------


def test_member_income_is_the_higher_of_declared_and_the_six_month_department_average() -> None:
    # member 0: tax average 2000.00 元 over 2025-11…2026-04 (one month missing counts as zero)
    months = months_before(AS_OF, 6)
    tax = DepartmentResult(Department.TAX, incomes=[MonthlyIncome(0, m, 240_000, "wage") for m in months[1:]])
    result = assess([150_000, 80_000], tax)
    first, second = result.member_incomes
    assert (first.department.amount_fen, first.counted.amount_fen, first.counted.sources) == (
        200_000,
        200_000,
        ("tax",),
    )
    assert "2025-11至2026-04" in first.department.basis and format_yuan(1_200_000) in first.department.basis
    assert (second.counted.amount_fen, second.counted.sources) == (80_000, ("declared",))
    assert result.monthly_income.amount_fen == 280_000
    assert result.monthly_income.sources == ("declared", "tax")
    assert result.per_capita_income_fen == 140_000


def test_visit_income_counts_only_beyond_the_documented_income() -> None:
    # The visit figure is the household's whole income: 2500.00 元 found, 2000.00 元 already known.
    tax = DepartmentResult(
        Department.TAX, incomes=[MonthlyIncome(0, m, 200_000, "wage") for m in NINE_MONTHS]
    )
    below = assess([0], tax, visit=Visit(150_000))
    assert (below.hidden_income.amount_fen, below.monthly_income.amount_fen) == (0, 200_000)
    assert "不另计隐性收入" in below.hidden_income.basis
    above = assess([0], tax, visit=Visit(250_000))
    assert (above.hidden_income.amount_fen, above.monthly_income.amount_fen) == (50_000, 250_000)
    assert above.hidden_income.sources == ("home_visit",)
    assert above.monthly_income.sources == ("home_visit", "tax")
    assert (
        format_yuan(250_000) in above.hidden_income.basis
        and format_yuan(200_000) in above.hidden_income.basis
    )


@pytest.mark.parametrize(
    ("declared", "visit", "department"),
    [(0, None, None), (100_000, None, None), (100_000, 150_000, None), (100_000, None, 90_000),
     (100_000, 80_000, 120_000), (300_000, 150_000, 200_000), (50_000, 250_000, 120_000)],
)  # fmt: skip
def test_household_income_fen_keeps_its_rule_the_highest_figure(
    declared: int, visit: int | None, department: int | None
) -> None:
    expected = max(x for x in (declared, visit, department) if x is not None)
    assert household_income_fen(declared, visit, department) == expected


# --- asset limits ---------------------------------------------------------------------------------


def deposits(*balances: int, kind: str = "deposit") -> DepartmentResult:
    return assets(Department.DEPOSITS, *(Asset(0, kind, None, b) for b in balances))


def test_deposits_equal_to_the_limit_pass_one_fen_over_is_a_finding() -> None:
    # 2 people × 24 × 1170.00 元 = 56160.00 元; securities and funds count, the housing fund does not
    housing_fund = assets(Department.HOUSING_FUND, Asset(1, "housing_fund", None, 9_000_000))
    at_limit = [deposits(5_000_000), deposits(516_000, kind="securities"), deposits(100_000, kind="fund")]
    assert rule(assess([0, 0], *at_limit, housing_fund), RiskRule.DEPOSIT_LIMIT) == []
    [finding] = rule(assess([0, 0], deposits(5_000_000, 616_001)), RiskRule.DEPOSIT_LIMIT)
    assert finding.figures == {
        "total_fen": 5_616_001,
        "limit_fen": 5_616_000,
        "per_capita_limit_fen": 2_808_000,
        "members": 2,
    }
    assert finding.sources == ("deposits",) and finding.member is None
    for text in (format_yuan(5_616_001), format_yuan(5_616_000), format_yuan(2_808_000), "金融机构"):
        assert text in finding.explanation


def test_deposit_limit_follows_the_standard_or_a_fixed_amount() -> None:
    assert RegionStandards(dibao_standard_fen=120_000).deposit_limit_per_capita_fen == 2_880_000
    fixed = RegionStandards(asset_deposit_limit_per_capita_fen=1_000_000)
    assert rule(assess([0], deposits(1_000_000), standards=fixed), RiskRule.DEPOSIT_LIMIT) == []
    assert rule(assess([0], deposits(1_000_001), standards=fixed), RiskRule.DEPOSIT_LIMIT)


def test_vehicles_together_against_the_limit() -> None:
    def cars(*values: int) -> DepartmentResult:
        return assets(
            Department.VEHICLES, *(Asset(0, "vehicle", OLD, v, f"小型汽车{i}") for i, v in enumerate(values))
        )

    assert rule(assess([0], cars(3_000_000, 2_000_000)), RiskRule.VEHICLE_LIMIT) == []
    [finding] = rule(assess([0], cars(3_000_000, 2_000_001)), RiskRule.VEHICLE_LIMIT)
    assert finding.figures == {"total_fen": 5_000_001, "limit_fen": 5_000_000, "count": 2}
    for text in (format_yuan(5_000_001), format_yuan(5_000_000), "2辆", "车辆登记机关"):
        assert text in finding.explanation


def test_houses_over_the_allowed_number_a_jointly_owned_house_counts_once() -> None:
    flat = Asset(0, "house", OLD, 80_000_000, "住宅 86㎡")
    joint = assets(Department.REAL_ESTATE, flat, Asset(1, "house", OLD, 80_000_000, "住宅 86㎡"))
    assert rule(assess([0, 0], joint), RiskRule.HOUSE_LIMIT) == []
    second = assets(Department.REAL_ESTATE, flat, Asset(1, "house", OLD, 40_000_000, "住宅 45㎡"))
    [finding] = rule(assess([0, 0], second), RiskRule.HOUSE_LIMIT)
    assert finding.figures == {"count": 2, "limit": 1}
    assert "住房2套" in finding.explanation and "不动产登记机构" in finding.explanation
    shop = assets(Department.REAL_ESTATE, flat, Asset(0, "shop", OLD, 90_000_000, "商铺"))
    assert rule(assess([0], shop), RiskRule.HOUSE_LIMIT) == []  # a shop is not housing


def test_business_capital_equal_to_the_limit_passes_one_fen_over_is_a_finding() -> None:
    def firm(capital: int) -> DepartmentResult:
        return assets(Department.BUSINESS, Asset(1, "business", OLD, capital, "某商贸有限公司"))

    assert rule(assess([0, 0], firm(10_000_000)), RiskRule.BUSINESS) == []
    [finding] = rule(assess([0, 0], firm(10_000_001)), RiskRule.BUSINESS)
    assert finding.member == 1 and finding.figures == {"capital_fen": 10_000_001, "limit_fen": 10_000_000}
    for text in ("成员2名下某商贸有限公司", format_yuan(10_000_001), format_yuan(10_000_000), "市场监管部门"):
        assert text in finding.explanation


# --- rigid expenditure and the expenditure-type test ------------------------------------------------


def medical(out_of_pocket: int) -> DepartmentResult:
    bill = MedicalBill(0, date(2026, 1, 10), out_of_pocket + 50_000, 50_000)
    return DepartmentResult(Department.MEDICAL_INSURANCE, medical_bills=[bill])


def test_rigid_expenditure_of_exactly_half_the_disposable_income_does_not_qualify() -> None:
    # 1000.00 元 a month: medical 6000.00 元 ÷ 12 + 500.00 元 found on the visit = 50 %
    result = assess([200_000], medical(600_000), visit=Visit(0, 50_000))
    assert (result.rigid_expenditure.amount_fen, result.disposable_income.amount_fen) == (100_000, 200_000)
    assert result.expenditure_ratio_bp == 5000 and not result.expenditure_type_eligible
    assert "未超过50%" in result.expenditure_type_basis
    assert result.rigid_expenditure.sources == ("home_visit", "medical_insurance")
    assert format_yuan(600_000) in result.medical_out_of_pocket_12m.basis


def test_rigid_expenditure_one_fen_over_half_qualifies() -> None:
    result = assess([200_000], medical(600_000), visit=Visit(0, 50_001))
    assert result.rigid_expenditure.amount_fen == 100_001 and result.expenditure_type_eligible
    basis = result.expenditure_type_basis
    assert format_yuan(100_001) in basis and format_yuan(200_000) in basis and "符合支出型条件" in basis


def test_expenditure_type_without_income() -> None:
    assert assess([0], visit=Visit(0, 1)).expenditure_type_eligible
    nothing = assess([0], visit=Visit(0, 0))
    assert not nothing.expenditure_type_eligible and nothing.expenditure_ratio_bp is None


# --- whole households -----------------------------------------------------------------------------


def visit_form(found: int, rigid: int = 0) -> HomeVisitForm:
    findings = FourStepFindings(
        housing="自有住房一套", property="无车辆", income_expenses="务工收入", neighbours="邻里反映属实"
    )
    return HomeVisitForm(
        investigators=["李四", "王五"],
        visited_on=date(2026, 5, 10),
        findings=findings,
        found_monthly_income_fen=found,
        rigid_expenses_fen=rigid,
        signed_form_ref="RH-2026-001",
    )


def test_income_hidden_from_the_declaration_found_by_the_data_check_raises_per_capita_income() -> None:
    # 3 people declare 1500.00 元; tax reports member 2 earning 3000.00 元 a month for 9 months.
    tax = DepartmentResult(
        Department.TAX, incomes=[MonthlyIncome(1, m, 300_000, "wage") for m in NINE_MONTHS]
    )
    result = assess([150_000, 0, 0], tax, visit=visit_form(found=400_000, rigid=20_000))
    assert result.monthly_income.amount_fen == 450_000  # 1500 declared + 3000 from tax; visit adds nothing
    assert result.per_capita_income_fen == 150_000  # above the 1170.00 元 standard
    assert result.per_capita_income_fen > assess([150_000, 0, 0]).per_capita_income_fen
    assert result.member_incomes[1].counted.sources == ("tax",)
    assert "高于申报，按部门数据计" in result.member_incomes[1].counted.basis
    assert result.warnings == ()  # steady income: nothing changed, nothing to flag


def test_a_clean_household_produces_no_warnings() -> None:
    months = NINE_MONTHS
    results = [
        DepartmentResult(
            Department.SOCIAL_INSURANCE, incomes=[MonthlyIncome(0, m, 90_000, "pension") for m in months]
        ),
        assets(Department.REAL_ESTATE, Asset(0, "house", OLD, 30_000_000, "住宅 60㎡")),
        assets(Department.DEPOSITS, Asset(0, "deposit", None, 500_000)),
        DepartmentResult(
            Department.MEDICAL_INSURANCE, medical_bills=[MedicalBill(0, date(2026, 2, 1), 80_000, 60_000)]
        ),
    ]
    result = assess([90_000, 0], *results, visit=visit_form(found=90_000))
    assert result.warnings == () and result.asset_findings == () and not result.needs_closer_review
    assert result.monthly_income.amount_fen == 90_000 and result.per_capita_income_fen == 45_000


def test_a_household_with_several_findings_lists_them_all_for_closer_review() -> None:
    results = [
        DepartmentResult(
            Department.TAX, incomes=[MonthlyIncome(0, m, 100_000, "wage") for m in NINE_MONTHS[:6]]
        ),
        assets(Department.VEHICLES, Asset(0, "vehicle", date(2026, 4, 1), 12_000_000, "小型汽车")),
    ]
    result = assess([0], *results)
    assert [w.rule for w in result.warnings] == [
        RiskRule.INCOME_CHANGE,
        RiskRule.NEW_VEHICLE,
        RiskRule.VEHICLE_LIMIT,
    ]
    assert result.needs_closer_review and "下降100.0%" in result.warnings[0].explanation


def test_the_assessment_survives_the_workflow_data_converter() -> None:
    results = [assets(Department.VEHICLES, Asset(0, "vehicle", date(2026, 4, 1), 12_000_000, "小型汽车"))]
    result = assess([100_000], *results, visit=Visit(120_000, 5_000))
    converter = pydantic_data_converter.payload_converter
    [back] = converter.from_payloads(converter.to_payloads([result]), [HouseholdAssessment])
    assert back == result


# --- inputs and configuration ---------------------------------------------------------------------


def test_impossible_inputs_are_refused() -> None:
    stranger = DepartmentResult(Department.TAX, incomes=[MonthlyIncome(3, "2026-04", 100, "wage")])
    with pytest.raises(DepartmentBadData):
        assess([0, 0], stranger)
    bad_month = DepartmentResult(Department.TAX, incomes=[MonthlyIncome(0, "2026-4", 100, "wage")])
    with pytest.raises(DepartmentBadData):
        assess([0], bad_month)
    with pytest.raises(TypeError, match="整数"):
        assess([1500.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="至少为1人"):
        assess([])
    with pytest.raises(ValueError, match="称谓"):
        assess_household([0], [], None, standards=STANDARDS, as_of=AS_OF, member_labels=["甲", "乙"])


def test_asset_limits_are_configured_and_validated() -> None:
    book = load_policy_book(Path(__file__).resolve().parents[2] / "config" / "policies.toml")
    standards = book.resolve(AssistanceType.DIBAO, "440105").standards
    assert standards == RegionStandards()  # the file mirrors the code's defaults
    assert book.resolve(AssistanceType.DIBAO, "440106").standards.deposit_limit_per_capita_fen == 2_880_000
    with pytest.raises(ValueError, match="max_houses"):
        RegionStandards(max_houses=-1)
    with pytest.raises(ValueError, match="asset_deposit_limit_per_capita_fen"):
        RegionStandards(asset_deposit_limit_per_capita_fen=-5)
