"""A recorded form loads without today's rules: its values and types, none of its refusals."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import Field, StringConstraints, ValidationError, model_validator

from domain.forms import (
    Attendee,
    AttendeeCapacity,
    DemocraticReviewForm,
    HomeVisitForm,
    Ref,
    ReReviewForm,
    recorded_form,
)
from domain.tasks import TaskType, recorded_completion, validate_completion


def visit(**change: Any) -> dict[str, Any]:
    form = {
        "investigators": ["inv_1", "inv_2"],
        "visited_on": "2026-09-29",
        "findings": {
            "housing": "自有住房",
            "property": "无车辆",
            "income_expenses": "打零工",
            "neighbours": "困难",
        },
        "found_monthly_income_fen": 50_000,
        "signed_form_ref": "RHDC-1",
    }
    return {**form, **change}


class ThreeInvestigators(HomeVisitForm):
    investigators: list[Ref] = Field(min_length=3)


class NineAttendees(DemocraticReviewForm):
    attendees: list[Attendee] = Field(min_length=9)

    @model_validator(mode="after")
    def _unanimous(self) -> NineAttendees:
        if self.votes_against:
            raise ValueError("须全票通过")
        return self


def test_a_form_valid_today_is_the_validated_model() -> None:
    assert recorded_form(HomeVisitForm, visit()) == HomeVisitForm.model_validate(visit())


def test_a_stricter_field_rule_still_loads_the_recorded_values_and_types() -> None:
    with pytest.raises(ValidationError):
        ThreeInvestigators.model_validate(visit())
    form = recorded_form(ThreeInvestigators, visit())
    assert isinstance(form, ThreeInvestigators)
    assert form.investigators == ["inv_1", "inv_2"]
    assert form.visited_on == date(2026, 9, 29)  # a date, not the recorded string
    assert form.findings.housing == "自有住房"  # the nested form is a model
    assert (form.rigid_expenses_fen, form.photo_refs, form.disputed) == (0, [], False)  # defaults
    assert form.model_dump(mode="json") == HomeVisitForm.model_validate(visit()).model_dump(mode="json")


def test_a_stricter_model_rule_and_nested_lists_of_forms_still_load() -> None:
    data = {
        "held_on": "2026-10-09",
        "attendees": [{"name": f" 代表{i} ", "capacity": "resident"} for i in range(5)],
        "votes_for": 4,
        "votes_against": 1,
        "minutes": "经评议，符合条件",
        "recording_ref": "LX-1",
    }
    with pytest.raises(ValidationError):
        NineAttendees.model_validate(data)
    form = recorded_form(NineAttendees, data)
    assert form.attendees[0].capacity is AttendeeCapacity.RESIDENT  # an enum, in a nested model
    assert form.attendees[0].name == "代表0"  # what a constraint does to a value is kept
    assert form.held_on == date(2026, 10, 9) and form.passed


def test_a_stricter_text_and_optional_nested_form() -> None:
    class LongFindings(ReReviewForm):
        findings: Annotated[str, StringConstraints(min_length=200)]

    data = {
        "visited_on": "2027-01-05",
        "findings": "收入无变化",
        "monthly_income_fen": 60_000,
        "new_category": "B",
        "exit_notice": {"reasons": "收入超标准", "policy_basis": "第三十条", "referral": "转介人社部门"},
    }
    form = recorded_form(LongFindings, data)
    assert form.findings == "收入无变化" and form.new_category == "B"
    assert form.exit_notice is not None and form.exit_notice.referral == "转介人社部门"
    assert form.new_amount_fen is None and form.visited_on == date(2027, 1, 5)


def test_the_handler_stores_what_the_validator_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted = validate_completion(TaskType.HOME_VISIT, "completed", visit()).model_dump(mode="json")
    monkeypatch.setattr(HomeVisitForm, "__pydantic_validator__", ThreeInvestigators.__pydantic_validator__)
    with pytest.raises(ValueError):  # the validator applies today's rule to a new submission
        validate_completion(TaskType.HOME_VISIT, "completed", visit())
    assert recorded_completion(TaskType.HOME_VISIT, "completed", visit()) == accepted
