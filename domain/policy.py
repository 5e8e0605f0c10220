"""Assistance policy: what differs between assistance types and regions is data, not code.

A policy is resolved for (assistance type, county) when a case is accepted and travels with the
case, so the rules in force at acceptance decide it even if the configuration changes later.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from domain.departments import Department
from domain.enums import AssistanceType
from domain.staff import Role

# The departments a case's data check queries unless its policy names others (信息核对: tax, social
# insurance, medical insurance, real estate, vehicles, business registration, housing fund,
# deposits). Spelled out rather than `tuple(Department)`: a department added to the enum is
# queried where the configuration names it, and a policy recorded before this field existed (it
# decodes with this default) keeps meaning the same eight departments on replay.
DEFAULT_DEPARTMENTS: tuple[Department, ...] = (
    Department.TAX,
    Department.SOCIAL_INSURANCE,
    Department.MEDICAL_INSURANCE,
    Department.REAL_ESTATE,
    Department.VEHICLES,
    Department.BUSINESS,
    Department.HOUSING_FUND,
    Department.DEPOSITS,
)


class ReviewMode(StrEnum):
    ALWAYS = "always"  # the seed county: every case goes to democratic review
    ON_DISPUTE = "on_dispute"  # national rule: only when disputed or doubtful
    NEVER = "never"


class DayCounting(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


class DataCheckMode(StrEnum):
    AUTOMATIC = "automatic"  # the departments' systems are queried by the workflow
    MANUAL = "manual"  # a county without the exchange platform: an investigator enters the figures
    NONE = "none"


class AmountRule(StrEnum):
    DIBAO_GAP = "dibao_gap"  # (standard − per-capita income) × members, with a floor
    TEKUN_SUPPORT = "tekun_support"  # basic support + care standard by self-care level
    TEMPORARY_TABLE = "temporary_table"  # months of standard by severity, capped
    DISABILITY_TABLE = "disability_table"  # living subsidy + care subsidy by disability level
    NONE = "none"  # recognition only (e.g. 低保边缘家庭: other assistance, no monthly cash)


@dataclass(frozen=True)
class TimeLimits:
    """Days are working days unless stated; see SPEC.md for the sources."""

    verification_start_days: int = 3
    data_check_start_days: int = 3
    publicity_days: int = 7
    publicity_counting: DayCounting = DayCounting.WORKING
    approval_days: int = 10
    refusal_notice_days: int = 3
    whole_process_days: int = 30
    whole_process_extended_days: int = 45
    green_verification_start_days: int = 2
    green_approval_days: int = 5
    emergency_approval_hours: int = 24
    emergency_paperwork_days: int = 5


@dataclass(frozen=True)
class RegionStandards:
    """Monetary standards of a county, all in fen per month unless stated."""

    dibao_standard_fen: int = 117_000
    dibao_floor_fen: int = 10_000
    tekun_basic_fen: int = 152_100
    tekun_care_fen: dict[str, int] = field(
        default_factory=lambda: {"full_self_care": 20_000, "partial_loss": 60_000, "full_loss": 150_000}
    )
    temp_months_by_severity: dict[str, int] = field(
        default_factory=lambda: {"general": 1, "serious": 3, "critical": 6}
    )
    temp_cap_fen: int = 3_000_000
    temp_township_limit_fen: int = 500_000  # above this a county decision (一事一议) is needed
    disability_living_fen: int = 10_000
    disability_care_fen: dict[str, int] = field(default_factory=lambda: {"1": 20_000, "2": 10_000})
    # Household assets (家庭财产) checked during verification; exceeding a limit is a warning for
    # closer review, never a rejection by itself (domain/asset_limits.py). Limits are inclusive:
    # a figure equal to the limit is within it. The defaults are placeholders in the range of
    # published local rules; every county must set its own.
    # Financial assets (deposits, securities, funds) per member: a number of months of the 低保
    # standard, so the limit follows the county's standard (24 months is a common local rule:
    # 24 × 1170.00 元 = 28080.00 元 per person), unless a county fixes an amount below.
    asset_deposit_limit_months: int = 24
    asset_deposit_limit_per_capita_fen: int | None = None  # a fixed amount instead of the months rule
    vehicle_value_limit_fen: int = 5_000_000  # total value of the household's vehicles: 50000.00 元
    max_houses: int = 1  # residential houses (住宅) the household may own
    business_registered_capital_limit_fen: int = 10_000_000  # per registered business: 100000.00 元
    # A vehicle or property registered from this many calendar days before the assessment date up
    # to that date is "newly registered" (seed 004 risk rule); both the first and the last day count.
    new_asset_window_days: int = 90
    # After enrolment (动态管理, seed 004): re-review every 3/6/12 months by class A/B/C, but never
    # less often than the county's floor (national: yearly for stable, half-yearly for irregular
    # income); phase-out up to 6 months; exit notice one month ahead; a death re-checked within
    # 3 months. Payroll runs on `payroll_day`; last month's payments are published by `disclosure_day`.
    review_months_a: int = 3
    review_months_b: int = 6
    review_months_c: int = 12
    review_max_months: int = 12
    phase_out_max_months: int = 6
    exit_notice_months: int = 1
    death_recheck_months: int = 3
    payroll_day: int = 10
    disclosure_day: int = 5

    def review_interval_months(self, category: str | None) -> int:
        """The class's rhythm, capped by the county's minimum frequency."""
        by_class = {"A": self.review_months_a, "B": self.review_months_b, "C": self.review_months_c}
        return max(1, min(by_class.get(category or "", self.review_max_months), self.review_max_months))

    def __post_init__(self) -> None:
        if not 1 <= self.payroll_day <= 28 or not 1 <= self.disclosure_day <= 5:
            raise ValueError("发放日须在每月1–28日之间，公开日须在每月1–5日之间")
        # A floor above the standard would pay a household more than the standard itself.
        if not 0 <= self.dibao_floor_fen <= self.dibao_standard_fen:
            raise ValueError("低保保底金额须在0与低保标准之间")
        for name, label in (
            ("asset_deposit_limit_months", "存款限额月数"),
            ("vehicle_value_limit_fen", "车辆价值限额"),
            ("max_houses", "住房套数上限"),
            ("business_registered_capital_limit_fen", "工商注册资金限额"),
            ("new_asset_window_days", "新增登记财产的核查天数"),
            ("review_months_a", "A类复核间隔月数"),
            ("review_months_b", "B类复核间隔月数"),
            ("review_months_c", "C类复核间隔月数"),
            ("review_max_months", "复核最长间隔月数"),
            ("phase_out_max_months", "渐退期最长月数"),
            ("exit_notice_months", "退出告知提前月数"),
            ("death_recheck_months", "成员死亡后复核月数"),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{label}（{name}）须为非负整数，收到：{value!r}")
        fixed = self.asset_deposit_limit_per_capita_fen
        if fixed is not None and (isinstance(fixed, bool) or not isinstance(fixed, int) or fixed < 0):
            raise ValueError(
                f"人均存款限额（asset_deposit_limit_per_capita_fen）须为非负整数，收到：{fixed!r}"
            )

    @property
    def deposit_limit_per_capita_fen(self) -> int:
        """人均存款（含有价证券）限额: the fixed amount if the county set one, else months × 低保标准."""
        if self.asset_deposit_limit_per_capita_fen is not None:
            return self.asset_deposit_limit_per_capita_fen
        return self.asset_deposit_limit_months * self.dibao_standard_fen


@dataclass(frozen=True)
class AssistancePolicy:
    assistance_type: AssistanceType
    label: str
    democratic_review: ReviewMode = ReviewMode.ON_DISPUTE
    publicity: bool = True
    data_check: DataCheckMode = DataCheckMode.AUTOMATIC
    emergency: bool = False  # 急难型: rescue first, paperwork afterwards
    approver_role: Role = Role.COUNTY_APPROVER
    amount_rule: AmountRule = AmountRule.DIBAO_GAP
    spot_check_percent: int = 0  # 特困: the county spot-checks at least 30 % of cases
    recurring: bool = True  # paid monthly after enrolment (else one-off)
    # The most one household may be granted per month (a recurring type), or at once for a type
    # without its own ceiling (临时救助 has `temp_cap_fen`): nobody may approve more, the county
    # included. 10000.00 元 covers an eight-person household without income at the default 低保
    # standard; counties set their own per type (config/policies.toml).
    max_monthly_amount_fen: int = 1_000_000
    required_materials: tuple[str, ...] = ("身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明")
    # Under 告知承诺制 these are fetched from departments instead of being asked for on paper.
    fetchable_materials: tuple[str, ...] = ("户口簿", "家庭财产情况说明")
    limits: TimeLimits = TimeLimits()
    standards: RegionStandards = RegionStandards()
    # The departments the automatic data check queries (a county not linked to one of them leaves
    # it out; its figures then come from the home visit and the applicant's papers).
    departments: tuple[Department, ...] = DEFAULT_DEPARTMENTS

    def __post_init__(self) -> None:
        cap = self.max_monthly_amount_fen
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ValueError(f"每月救助金额上限（max_monthly_amount_fen）须为非负整数，收到：{cap!r}")
        if len(set(self.departments)) != len(self.departments):
            raise ValueError(f"信息核对部门（departments）重复：{[d.value for d in self.departments]}")
        if self.data_check is DataCheckMode.AUTOMATIC and not self.departments:
            raise ValueError("自动信息核对须至少核对一个部门（departments）")

    def missing_materials(self, provided: list[str], commitment_signed: bool) -> list[str]:
        """一次性告知: every missing material at once, in the order the policy lists them."""
        waived = set(self.fetchable_materials) if commitment_signed else set()
        have = set(provided)
        return [m for m in self.required_materials if m not in have and m not in waived]


def _coerce(cls: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(cls)} - {"assistance_type", "limits", "standards"}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"policy configuration: unknown {cls.__name__} keys {sorted(unknown)}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def _departments(values: Any) -> tuple[Department, ...]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ValueError(f"policy configuration: departments must be a list, got {values!r}")
    known = {d.value for d in Department}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"policy configuration: unknown departments {unknown} (known: {sorted(known)})")
    return tuple(Department(v) for v in values)


@dataclass(frozen=True)
class PolicyBook:
    """Type defaults plus per-county overrides, as loaded from the policy configuration."""

    types: dict[str, dict[str, Any]]
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_limits: dict[str, Any] = field(default_factory=dict)
    default_standards: dict[str, Any] = field(default_factory=dict)

    def resolve_standards(self, county_code: str) -> RegionStandards:
        """A county's money standards, whatever the assistance type."""
        values = {**self.default_standards, **self.regions.get(county_code, {}).get("standards", {})}
        return RegionStandards(**_coerce(RegionStandards, values))

    def resolve(self, assistance_type: AssistanceType, county_code: str) -> AssistancePolicy:
        """From general to specific: defaults < county-wide < the type < the type in that county.
        `limits` tables merge key by key at every level, so an override names only what changes."""
        base = self.types.get(assistance_type.value)
        if base is None:
            raise KeyError(f"no policy configured for {assistance_type.value}")
        region = self.regions.get(county_code, {})
        region_type = region.get("types", {}).get(assistance_type.value, {})
        # A county-wide list of departments (the ones its exchange platform reaches), which a type
        # (or the type in that county) may still narrow.
        county_wide = {"departments": region["departments"]} if "departments" in region else {}
        type_values = {k: v for k, v in {**county_wide, **base, **region_type}.items() if k != "limits"}
        limits_values = {
            **self.default_limits,
            **region.get("limits", {}),
            **base.get("limits", {}),
            **region_type.get("limits", {}),
        }
        if "publicity_counting" in limits_values:
            limits_values["publicity_counting"] = DayCounting(limits_values["publicity_counting"])
        limits = TimeLimits(**_coerce(TimeLimits, limits_values))
        standards = self.resolve_standards(county_code)
        policy_values = _coerce(AssistancePolicy, type_values)
        if isinstance(policy_values.get("data_check"), bool):  # `data_check = false` reads naturally
            policy_values["data_check"] = "automatic" if policy_values["data_check"] else "none"
        enums: tuple[tuple[str, type[StrEnum]], ...] = (
            ("democratic_review", ReviewMode),
            ("approver_role", Role),
            ("amount_rule", AmountRule),
            ("data_check", DataCheckMode),
        )
        for key, enum in enums:
            if key in policy_values:
                policy_values[key] = enum(policy_values[key])
        if "departments" in policy_values:
            policy_values["departments"] = _departments(policy_values["departments"])
        return AssistancePolicy(
            assistance_type=assistance_type, limits=limits, standards=standards, **policy_values
        )
