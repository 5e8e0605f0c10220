"""Replay every recorded history against today's workflow code.

A change to a workflow that would break a running case — a command added, removed or reordered
without `workflow.patched` — fails here, before it reaches a server with cases in flight. The
histories are recorded by `scripts/record_histories.py` (README, "Changing a workflow")."""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

import activities.assessment as assessment_activities
import workflows.cross_check as cross_check
import workflows.verification_stage as verification_stage
from domain.departments import Department
from domain.forms import ApprovalForm, DemocraticReviewForm, HomeVisitForm, OpinionForm, ReReviewForm
from domain.household_assessment import HouseholdAssessment, assess_household
from domain.risk import RiskRule, RiskWarning
from domain.tasks import OUTCOME_FORMS, CompleteTaskInput
from infra.settings import load_settings
from infra.temporal_client import make_data_converter
from tests.histories.changed_workflow import ApplicationThatPausesFirst
from tests.histories.stricter_forms import STRICTER
from workers.build import WORKFLOWS

FOLDER = Path(__file__).parent
HISTORIES = sorted(FOLDER.glob("*/*.json"))
# The workflow types the product runs must each have recorded histories to replay.
STANDARD_CASE = "test_dibao_flow__test_dibao_case_walks_every_stage_on_the_2026_calendar__1"
TEKUN_CASE = "test_assistance_types__test_tekun_spot_check_care_level_amount_and_15_day_approval__1"
WARNING_CASE = "test_data_check__test_hidden_rising_wage_is_a_warning_on_the_list_and_forces_closer_review__1"
RECHECK_CASE = "test_data_check__test_applicant_is_told_and_an_objection_with_evidence_triggers_a_recheck__1"
LIFECYCLE_CASE = "test_beneficiary_lifecycle__test_two_years_of_a_dibao_household__1"
REQUIRED_TYPES = {wf.__temporal_workflow_definition.name for wf in WORKFLOWS}  # type: ignore[attr-defined]


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))


def _replayer(*workflows: type) -> Replayer:
    return Replayer(workflows=list(workflows), data_converter=make_data_converter(load_settings()))


def test_every_workflow_type_has_recorded_histories() -> None:
    recorded = {path.parent.name for path in HISTORIES}
    assert REQUIRED_TYPES <= recorded, f"no recorded history for {sorted(REQUIRED_TYPES - recorded)}"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_recorded_history_replays_on_todays_code(path: Path) -> None:
    result = await _replayer(*WORKFLOWS).replay_workflow(_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"


async def test_a_change_without_a_patch_is_caught_by_the_replay() -> None:
    path = FOLDER / "ApplicationWorkflow" / f"{STANDARD_CASE}.json"
    with pytest.raises(NondeterminismError):
        await _replayer(ApplicationThatPausesFirst).replay_workflow(_history(path))


APPLICATION_FORMS = (HomeVisitForm, DemocraticReviewForm, OpinionForm, ApprovalForm)
# Each recorded case, replayed with a stricter rule for one of the forms it went through: home
# visit, democratic review, opinion, approval (the application), re-review (the lifecycle).
STRICTER_CASES = [
    *((f"ApplicationWorkflow/{STANDARD_CASE}", form) for form in APPLICATION_FORMS),
    *(
        (f"ApplicationWorkflow/{TEKUN_CASE}", form)
        for form in APPLICATION_FORMS
        if form is not DemocraticReviewForm
    ),
    (f"BeneficiaryWorkflow/{LIFECYCLE_CASE}", ReReviewForm),
]


@pytest.mark.parametrize(("case", "form"), STRICTER_CASES, ids=lambda v: getattr(v, "__name__", v))
async def test_a_stricter_form_rule_does_not_break_running_cases(
    case: str, form: type[BaseModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later release refuses forms that running cases' staff submitted under the old rule: the
    validators (which do not run on replay) apply it to new submissions, and the recorded cases
    still replay — the workflow does not validate a recorded form again."""
    path = FOLDER / f"{case}.json"
    stricter = STRICTER[form]
    recorded = await _completed_forms(path, form)
    refused = [f for f in recorded if _accepts(form, f) and not _accepts(stricter, f)]
    assert refused, f"{path.name}: no recorded {form.__name__} that the stricter rule refuses"
    # The domain modules are passed through the sandbox: the workflows see the stricter rule.
    monkeypatch.setattr(form, "__pydantic_validator__", stricter.__pydantic_validator__)
    assert not _accepts(form, refused[0])  # in force: a new submission of that form is refused
    result = await _replayer(*WORKFLOWS).replay_workflow(_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"


async def _completed_forms(path: Path, model: type[BaseModel]) -> list[dict[str, Any]]:
    """The forms of the task completions the case's history recorded (decrypted) with an outcome
    that takes `model`."""
    outcomes = {o for by_outcome in OUTCOME_FORMS.values() for o, m in by_outcome.items() if m is model}
    converter = make_data_converter(load_settings())
    forms: list[dict[str, Any]] = []
    for event in _history(path).events:
        if not event.HasField("workflow_execution_update_accepted_event_attributes"):
            continue
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        if request.input.name == "complete_task":
            [completion] = await converter.decode(request.input.args.payloads, [CompleteTaskInput])
            if completion.outcome in outcomes:
                forms.append(completion.form)
    return forms


def _accepts(model: type[BaseModel], form: dict[str, Any]) -> bool:
    try:
        model.model_validate(form)
    except ValidationError:
        return False
    return True


def _rule_of_a_later_release(*args: Any, **kwargs: Any) -> HouseholdAssessment:
    """The assessment with its warnings changed, as a new or retired risk rule would: a case
    without warnings gets one, a case with warnings has none."""
    assessment = assess_household(*args, **kwargs)
    new = RiskWarning(RiskRule.DEPOSIT_LIMIT, "新规则预警", "按新规则发现的预警", ("deposits",))
    return dataclasses.replace(assessment, warnings=() if assessment.warnings else (new,))


@pytest.mark.parametrize(
    ("case", "replays"),
    [
        (STANDARD_CASE, True),  # assessed by the activity: its recorded result decides on replay
        (WARNING_CASE, True),
        (RECHECK_CASE, True),  # assessed twice (the applicant's recheck), both recorded
        # Started before the patch: assessed in the workflow, so a changed rule still changes its
        # commands — such a rule change waits until these cases are closed (or is patched itself).
        ("before-patch__assessment-in-activity__dibao_case_walks_every_stage", False),
    ],
)
async def test_a_changed_assessment_rule_does_not_change_how_assessed_cases_replay(
    case: str, replays: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verification_stage, "assess_household", _rule_of_a_later_release)
    monkeypatch.setattr(assessment_activities, "assess_household", _rule_of_a_later_release)
    path = FOLDER / "ApplicationWorkflow" / f"{case}.json"
    result = await _replayer(*WORKFLOWS).replay_workflow(_history(path), raise_on_replay_failure=False)
    if replays:
        assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"
    else:
        assert isinstance(result.replay_failure, NondeterminismError)


# The enum as a later release might have it: a ninth department (民政婚姻登记, say).
NINE_DEPARTMENTS = StrEnum(  # type: ignore[misc]
    "Department", {**{d.name: d.value for d in Department}, "MARRIAGE_REGISTRY": "marriage_registry"}
)


@pytest.mark.parametrize(
    "case",
    [
        "before-patch__departments-from-policy__bad_data_from_a_department",  # queried the enum's eight
        "test_data_check__test_a_county_queries_only_the_departments_its_policy_names__1",  # its policy's seven
        STANDARD_CASE,  # its policy's eight
    ],
)
async def test_a_department_added_to_the_code_does_not_change_how_cases_replay(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cross_check, "Department", NINE_DEPARTMENTS)
    path = FOLDER / "ApplicationWorkflow" / f"{case}.json"
    result = await _replayer(*WORKFLOWS).replay_workflow(_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure!r}"
