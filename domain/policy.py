"""Assistance policy: what differs between assistance types and regions is data, not code.

A policy is resolved for (assistance type, county) when a case is accepted and travels with the
case, so the rules in force at acceptance decide it even if the configuration changes later.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from domain.enums import AssistanceType
from domain.staff import Role


class ReviewMode(StrEnum):
    ALWAYS = "always"  # the seed county: every case goes to democratic review
    ON_DISPUTE = "on_dispute"  # national rule: only when disputed or doubtful
    NEVER = "never"


class DayCounting(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


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

    def __post_init__(self) -> None:
        # A floor above the standard would pay a household more than the standard itself.
        if not 0 <= self.dibao_floor_fen <= self.dibao_standard_fen:
            raise ValueError("低保保底金额须在0与低保标准之间")


@dataclass(frozen=True)
class AssistancePolicy:
    assistance_type: AssistanceType
    label: str
    democratic_review: ReviewMode = ReviewMode.ON_DISPUTE
    publicity: bool = True
    data_check: bool = True
    emergency: bool = False  # 急难型: rescue first, paperwork afterwards
    approver_role: Role = Role.COUNTY_APPROVER
    amount_rule: AmountRule = AmountRule.DIBAO_GAP
    spot_check_percent: int = 0  # 特困: the county spot-checks at least 30 % of cases
    recurring: bool = True  # paid monthly after enrolment (else one-off)
    required_materials: tuple[str, ...] = ("身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明")
    # Under 告知承诺制 these are fetched from departments instead of being asked for on paper.
    fetchable_materials: tuple[str, ...] = ("户口簿", "家庭财产情况说明")
    limits: TimeLimits = TimeLimits()
    standards: RegionStandards = RegionStandards()

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


@dataclass(frozen=True)
class PolicyBook:
    """Type defaults plus per-county overrides, as loaded from the policy configuration."""

    types: dict[str, dict[str, Any]]
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_limits: dict[str, Any] = field(default_factory=dict)
    default_standards: dict[str, Any] = field(default_factory=dict)

    def resolve(self, assistance_type: AssistanceType, county_code: str) -> AssistancePolicy:
        """From general to specific: defaults < county-wide < the type < the type in that county.
        `limits` tables merge key by key at every level, so an override names only what changes."""
        base = self.types.get(assistance_type.value)
        if base is None:
            raise KeyError(f"no policy configured for {assistance_type.value}")
        region = self.regions.get(county_code, {})
        region_type = region.get("types", {}).get(assistance_type.value, {})
        type_values = {k: v for k, v in {**base, **region_type}.items() if k != "limits"}
        limits_values = {
            **self.default_limits,
            **region.get("limits", {}),
            **base.get("limits", {}),
            **region_type.get("limits", {}),
        }
        standards_values = {**self.default_standards, **region.get("standards", {})}
        if "publicity_counting" in limits_values:
            limits_values["publicity_counting"] = DayCounting(limits_values["publicity_counting"])
        limits = TimeLimits(**_coerce(TimeLimits, limits_values))
        standards = RegionStandards(**_coerce(RegionStandards, standards_values))
        policy_values = _coerce(AssistancePolicy, type_values)
        for key, enum in (
            ("democratic_review", ReviewMode),
            ("approver_role", Role),
            ("amount_rule", AmountRule),
        ):
            if key in policy_values:
                policy_values[key] = enum(policy_values[key])
        return AssistancePolicy(
            assistance_type=assistance_type, limits=limits, standards=standards, **policy_values
        )
