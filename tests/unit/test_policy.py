"""Policy resolution: type defaults, county overrides, and configuration errors caught at load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.departments import Department
from domain.enums import AssistanceType
from domain.policy import (
    DEFAULT_DEPARTMENTS,
    AmountRule,
    AssistancePolicy,
    DayCounting,
    PolicyBook,
    RegionStandards,
    ReviewMode,
)
from domain.staff import Role
from infra.policy_config import load_policy_book

REPO = Path(__file__).resolve().parents[2]
BOOK = load_policy_book(REPO / "config" / "policies.toml")
converter = pydantic_data_converter.payload_converter


def test_shipped_configuration_covers_every_type_with_the_seed_rules() -> None:
    dibao = BOOK.resolve(AssistanceType.DIBAO, "440105")
    assert dibao.democratic_review is ReviewMode.ALWAYS  # the seed county reviews every case
    assert dibao.limits.publicity_days == 7 and dibao.limits.publicity_counting is DayCounting.WORKING
    tekun = BOOK.resolve(AssistanceType.TEKUN, "440105")
    assert (tekun.limits.approval_days, tekun.spot_check_percent, tekun.amount_rule) == (
        15,
        30,
        AmountRule.TEKUN_SUPPORT,
    )
    emergency = BOOK.resolve(AssistanceType.TEMP_EMERGENCY, "440105")
    assert emergency.emergency and not emergency.publicity and emergency.approver_role is Role.TOWNSHIP_HEAD
    assert emergency.limits.emergency_approval_hours == 24


def test_county_overrides_apply_only_there() -> None:
    tianhe = BOOK.resolve(AssistanceType.DIBAO, "440106")
    assert tianhe.democratic_review is ReviewMode.ON_DISPUTE
    assert tianhe.limits.publicity_counting is DayCounting.CALENDAR
    assert tianhe.standards.dibao_standard_fen == 120_000
    assert BOOK.resolve(AssistanceType.DIBAO, "440105").standards.dibao_standard_fen == 117_000


def test_more_specific_limits_win_and_merge_key_by_key() -> None:
    book = PolicyBook(
        types={"tekun": {"label": "特困", "limits": {"approval_days": 15}}},
        regions={
            "440105": {
                "limits": {"approval_days": 7, "publicity_days": 5},
                "types": {"tekun": {"limits": {"refusal_notice_days": 2}}},
            }
        },
    )
    limits = book.resolve(AssistanceType.TEKUN, "440105").limits
    # the type's national 15 days beats the county-wide 7; the county's other keys still apply
    assert (limits.approval_days, limits.publicity_days, limits.refusal_notice_days) == (15, 5, 2)


def test_material_rules_one_notice_listing_everything_and_commitment_waiver() -> None:
    dibao = BOOK.resolve(AssistanceType.DIBAO, "440105")
    assert dibao.missing_materials(["身份证明"], commitment_signed=False) == [
        "户口簿",
        "家庭收入情况说明",
        "家庭财产情况说明",
    ]
    assert dibao.missing_materials(["身份证明"], commitment_signed=True) == ["家庭收入情况说明"]


def test_configuration_mistakes_fail_at_load_with_the_key_named(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text(
        '[types.dibao]\nlabel = "低保"\nstandards = { dibao_standard_fen = 1 }\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match="standards"):
        load_policy_book(bad)
    with pytest.raises(ValueError, match="保底"):
        RegionStandards(dibao_standard_fen=100, dibao_floor_fen=200)


def test_data_check_modes_resolve_to_the_enum() -> None:
    from domain.policy import DataCheckMode

    assert BOOK.resolve(AssistanceType.DIBAO, "440105").data_check is DataCheckMode.AUTOMATIC
    assert BOOK.resolve(AssistanceType.TEMP_EMERGENCY, "440105").data_check is DataCheckMode.NONE
    manual = PolicyBook(types={"dibao": {"label": "低保", "data_check": "manual"}})
    assert manual.resolve(AssistanceType.DIBAO, "440105").data_check is DataCheckMode.MANUAL


def test_re_review_rhythm_by_class_never_less_often_than_the_county_requires() -> None:
    national = RegionStandards()
    assert [national.review_interval_months(c) for c in ("A", "B", "C", None)] == [3, 6, 12, 12]
    # A county that wants every household seen at least twice a year caps class C (and the
    # unclassified) at 6 months; the classes already more frequent keep their rhythm.
    strict = RegionStandards(review_max_months=6)
    assert [strict.review_interval_months(c) for c in ("A", "B", "C", None)] == [3, 6, 6, 6]


def test_every_case_queries_the_eight_departments_unless_its_county_or_type_names_others() -> None:
    assert BOOK.resolve(AssistanceType.DIBAO, "440105").departments == DEFAULT_DEPARTMENTS
    assert set(DEFAULT_DEPARTMENTS) == set(Department)  # all eight today
    book = PolicyBook(
        types={"dibao": {"label": "低保"}, "tekun": {"label": "特困", "departments": ["tax", "deposits"]}},
        regions={"440106": {"departments": ["tax", "social_insurance", "deposits"]}},
    )
    assert book.resolve(AssistanceType.DIBAO, "440106").departments == (
        Department.TAX,
        Department.SOCIAL_INSURANCE,
        Department.DEPOSITS,
    )
    assert book.resolve(AssistanceType.DIBAO, "440105").departments == DEFAULT_DEPARTMENTS
    assert book.resolve(AssistanceType.TEKUN, "440106").departments == (Department.TAX, Department.DEPOSITS)


@pytest.mark.parametrize("departments", [["tax", "post_office"], ["tax", "tax"], []])
def test_a_wrong_list_of_departments_is_refused_at_load(departments: list[str]) -> None:
    book = PolicyBook(types={"dibao": {"label": "低保", "departments": departments}})
    with pytest.raises(ValueError):
        book.resolve(AssistanceType.DIBAO, "440105")


def test_a_policy_recorded_before_it_named_departments_decodes_with_the_eight() -> None:
    """Running cases recorded their policy without the field; on replay it decodes to the same
    eight departments they queried."""
    recorded = json.loads(converter.to_payloads([BOOK.resolve(AssistanceType.DIBAO, "440105")])[0].data)
    del recorded["departments"]
    payload = converter.to_payloads([recorded])[0]
    [policy] = converter.from_payloads([payload], [AssistancePolicy])
    assert policy.departments == DEFAULT_DEPARTMENTS
