"""Household economic assessment (家庭经济状况认定, 精准识别): the figures a decision rests on, each
with its source and the reason it was chosen, plus the warning list of the risk rules.

Definitions (all monthly, integer fen; averages rounded half-up to the fen before they are
compared, so anyone can redo the comparison from the figures shown):

- Member income = max(declared, department), where department = the member's department income
  averaged over the last 6 whole months (domain.department_data). The higher credible figure
  counts: a lower declaration never discounts income a department reports.
- Documented income = Σ member incomes.
- Hidden income = max(0, home-visit income − documented income). The visit records one figure for
  the whole household, *including* the incomes already known, so only the part beyond the
  documented income is new (informal work, help from relatives …). Adding "visit − declared"
  instead would count a wage twice when the visit and a department both found it.
- Household monthly income used for eligibility = documented + hidden
  (= max(documented, visit)); per-capita income = that ÷ members, half-up
  (domain.amounts.per_capita_monthly_income_fen).
- Rigid expenditure = medical out-of-pocket of the last 12 months ÷ 12 (half-up) + the rigid
  expenses recorded on the visit (education, rehabilitation, medical costs not on insurance bills).
- Disposable income = the household monthly income used for eligibility. Departments report
  neither income tax nor social-insurance contributions per member, so nothing is deducted; the
  test is therefore the stricter one.
- Expenditure-type eligibility (支出型): rigid expenditure > 50 % of disposable income, strictly
  (2 × rigid > disposable). A household without income and with any rigid expenditure qualifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from domain.amounts import format_yuan, per_capita_monthly_income_fen
from domain.asset_limits import asset_limit_findings
from domain.department_data import (
    ELIGIBILITY_MONTHS,
    MedicalCosts,
    asset_items,
    income_average,
    medical_costs,
    months_before,
)
from domain.departments import DepartmentResult
from domain.figures import (
    SOURCE_DECLARED,
    SOURCE_HOME_VISIT,
    department_codes,
    exceeds_share,
    member_label,
    percent_text,
    ratio_bp,
    require_fen,
    round_half_up,
    sort_sources,
    sources_text,
)
from domain.policy import RegionStandards
from domain.risk import RiskWarning, income_change_warnings, medical_burden_warning, new_asset_warnings

EXPENDITURE_TYPE_THRESHOLD_BP = 5000  # rigid expenditure > 50 % of disposable income


class VisitFigures(Protocol):
    """What the assessment needs from the home visit; domain.forms.HomeVisitForm fits."""

    @property
    def found_monthly_income_fen(self) -> int: ...

    @property
    def rigid_expenses_fen(self) -> int: ...


@dataclass(frozen=True)
class SourcedAmount:
    """A figure with where it came from (codes, see domain.figures) and why it is what it is."""

    amount_fen: int
    sources: tuple[str, ...]
    basis: str  # Chinese, shown to the clerk as it is


@dataclass(frozen=True)
class MemberIncome:
    member: int
    declared_fen: int
    department: SourcedAmount  # average of the last 6 months of department income
    counted: SourcedAmount  # the higher of the two


@dataclass(frozen=True)
class HouseholdAssessment:
    as_of: date
    members: int
    member_incomes: tuple[MemberIncome, ...]
    documented_income: SourcedAmount
    hidden_income: SourcedAmount
    monthly_income: SourcedAmount  # used for eligibility
    per_capita_income_fen: int
    medical_out_of_pocket_12m: SourcedAmount
    rigid_expenditure: SourcedAmount  # monthly: medical ÷ 12 + visit's rigid expenses
    disposable_income: SourcedAmount
    expenditure_ratio_bp: int | None  # rigid ÷ disposable; None when disposable income is 0
    expenditure_type_eligible: bool
    expenditure_type_basis: str
    asset_findings: tuple[RiskWarning, ...]
    warnings: tuple[RiskWarning, ...]  # every rule's warnings, asset findings included

    @property
    def needs_closer_review(self) -> bool:
        return bool(self.warnings)


def combine_household_income_fen(documented_fen: int, visit_found_fen: int | None) -> tuple[int, int]:
    """(household monthly income, hidden income) from the documented income and the household
    income found on the visit (None: no visit yet). See the module docstring for why."""
    hidden = 0 if visit_found_fen is None else max(0, visit_found_fen - documented_fen)
    return documented_fen + hidden, hidden


def _member_income(
    member: int, declared: int, results: Sequence[DepartmentResult], members: int, as_of: date
) -> MemberIncome:
    months = months_before(as_of, ELIGIBILITY_MONTHS)
    average = income_average(results, member, members, months)
    dept_sources = department_codes(average.departments)
    window = f"部门数据近{ELIGIBILITY_MONTHS}个月（{average.period}）"
    department = SourcedAmount(
        average.average_fen,
        dept_sources,
        f"{window}收入合计{format_yuan(average.total_fen)}，月均{format_yuan(average.average_fen)}"
        f"（来源：{sources_text(dept_sources)}）"
        if dept_sources
        else f"{window}无收入记录",
    )
    compared = f"申报月收入{format_yuan(declared)}，{department.basis}"
    if average.average_fen > declared:
        counted = SourcedAmount(average.average_fen, dept_sources, f"{compared}，高于申报，按部门数据计")
    else:
        counted = SourcedAmount(declared, (SOURCE_DECLARED,), f"{compared}，按申报计")
    return MemberIncome(member, declared, department, counted)


def _household_income(
    incomes: Sequence[MemberIncome], labels: Sequence[str], visit_income: int | None
) -> tuple[SourcedAmount, SourcedAmount, SourcedAmount]:
    """(documented, hidden, household monthly income), see the module docstring."""
    documented_fen = sum(m.counted.amount_fen for m in incomes)
    documented = SourcedAmount(
        documented_fen,
        sort_sources(s for m in incomes for s in m.counted.sources),
        "各成员月收入（申报与部门数据取较高者）之和："
        + "、".join(f"{labels[m.member]}{format_yuan(m.counted.amount_fen)}" for m in incomes),
    )
    total_fen, hidden_fen = combine_household_income_fen(documented_fen, visit_income)
    if visit_income is None:
        hidden = SourcedAmount(0, (), "尚无入户调查结果，未计隐性收入")
    elif hidden_fen:
        hidden = SourcedAmount(
            hidden_fen,
            (SOURCE_HOME_VISIT,),
            f"入户核实家庭月收入{format_yuan(visit_income)}，高于各成员收入合计"
            f"{format_yuan(documented_fen)}，差额计为隐性收入",
        )
    else:
        hidden = SourcedAmount(
            0,
            (SOURCE_HOME_VISIT,),
            f"入户核实家庭月收入{format_yuan(visit_income)}，未超过各成员收入合计"
            f"{format_yuan(documented_fen)}，不另计隐性收入",
        )
    total = SourcedAmount(
        total_fen,
        sort_sources((*documented.sources, *hidden.sources)) if hidden_fen else documented.sources,
        f"各成员收入合计{format_yuan(documented_fen)}＋隐性收入{format_yuan(hidden_fen)}",
    )
    return documented, hidden, total


def _rigid_expenditure(medical: MedicalCosts, visit_rigid: int) -> tuple[SourcedAmount, SourcedAmount]:
    """(medical out-of-pocket of the 12 months, monthly rigid expenditure)."""
    medical_sources = department_codes(medical.departments)
    annual = SourcedAmount(
        medical.out_of_pocket_fen,
        medical_sources,
        f"近12个月（{medical.period}）{medical.bills}笔医疗费用个人自付合计"
        f"{format_yuan(medical.out_of_pocket_fen)}（来源：{sources_text(medical_sources)}）",
    )
    monthly_medical = round_half_up(medical.out_of_pocket_fen, 12)
    rigid = SourcedAmount(
        monthly_medical + visit_rigid,
        sort_sources((*medical_sources, *((SOURCE_HOME_VISIT,) if visit_rigid else ()))),
        f"医疗自付月均{format_yuan(monthly_medical)}（{format_yuan(medical.out_of_pocket_fen)}÷12）"
        f"＋入户核实的刚性支出{format_yuan(visit_rigid)}",
    )
    return annual, rigid


def _expenditure_basis(rigid: int, disposable: int, eligible: bool) -> str:
    verdict = "超过50%，符合支出型条件" if eligible else "未超过50%，不符合支出型条件"
    if disposable == 0:
        share = "家庭无可支配收入"
    else:
        share = f"占可支配收入{format_yuan(disposable)}的{percent_text(rigid, disposable)}"
    return f"月刚性支出{format_yuan(rigid)}，{share}，{verdict}"


def assess_household(
    declared_incomes_fen: Sequence[int],
    department_results: Sequence[DepartmentResult],
    visit: VisitFigures | None,
    *,
    standards: RegionStandards,
    as_of: date,
    member_labels: Sequence[str] | None = None,
) -> HouseholdAssessment:
    """Assess a household as of ``as_of`` (the date of the data check; never "today").

    ``declared_incomes_fen[i]`` is member i's declared monthly income: the list's length is the
    household size. ``visit`` is the home visit's findings (a HomeVisitForm fits), None before the
    visit. ``member_labels[i]`` names member i in texts (default "成员{i+1}"), e.g. "张*明（成员2）".
    Department results must cover the last ``department_data.INCOME_HISTORY_MONTHS`` months for
    the income-change rule.
    """
    members = len(declared_incomes_fen)
    if members < 1:
        raise ValueError("家庭人口数至少为1人")
    for i, declared in enumerate(declared_incomes_fen):
        require_fen(declared, f"{member_label(i)}申报月收入")
    labels = list(member_labels) if member_labels is not None else [member_label(i) for i in range(members)]
    if len(labels) != members:
        raise ValueError(f"成员称谓数（{len(labels)}）与家庭人口数（{members}）不一致")
    visit_income: int | None = None
    visit_rigid = 0
    if visit is not None:
        visit_income, visit_rigid = visit.found_monthly_income_fen, visit.rigid_expenses_fen
        require_fen(visit_income, "入户核实的家庭月收入")
        require_fen(visit_rigid, "入户核实的刚性支出")

    incomes = tuple(
        _member_income(i, d, department_results, members, as_of) for i, d in enumerate(declared_incomes_fen)
    )
    documented, hidden, monthly_income = _household_income(incomes, labels, visit_income)
    total_fen = monthly_income.amount_fen
    medical = medical_costs(department_results, members, as_of)
    medical_annual, rigid = _rigid_expenditure(medical, visit_rigid)
    disposable = SourcedAmount(
        total_fen,
        monthly_income.sources,
        "按用于认定的家庭月收入计（部门数据不含个税和社保个人缴费，不作扣除）",
    )
    eligible = exceeds_share(rigid.amount_fen, total_fen, EXPENDITURE_TYPE_THRESHOLD_BP)

    items = asset_items(department_results, members)
    findings = tuple(asset_limit_findings(items, labels, standards))
    burden = medical_burden_warning(medical, total_fen)
    warnings = (
        *income_change_warnings(department_results, labels, as_of),
        *((burden,) if burden is not None else ()),
        *new_asset_warnings(items, labels, as_of, standards.new_asset_window_days),
        *findings,
    )
    return HouseholdAssessment(
        as_of=as_of,
        members=members,
        member_incomes=incomes,
        documented_income=documented,
        hidden_income=hidden,
        monthly_income=monthly_income,
        per_capita_income_fen=per_capita_monthly_income_fen(total_fen, members),
        medical_out_of_pocket_12m=medical_annual,
        rigid_expenditure=rigid,
        disposable_income=disposable,
        expenditure_ratio_bp=ratio_bp(rigid.amount_fen, total_fen),
        expenditure_type_eligible=eligible,
        expenditure_type_basis=_expenditure_basis(rigid.amount_fen, total_fen, eligible),
        asset_findings=findings,
        warnings=warnings,
    )


__all__ = [
    "EXPENDITURE_TYPE_THRESHOLD_BP",
    "HouseholdAssessment",
    "MemberIncome",
    "SourcedAmount",
    "VisitFigures",
    "assess_household",
    "combine_household_income_fen",
]
