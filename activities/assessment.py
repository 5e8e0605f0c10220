"""The household assessment (精准识别) as an activity: its rules decide which commands the case
issues (warnings, a task for a person), and rules change — a new risk rule, a new asset limit. Run
inside the workflow, a changed rule would change the commands of every running case on replay;
as an activity its result is recorded once, with the rules in force on the day it ran."""

from dataclasses import dataclass
from datetime import date

from temporalio import activity

from domain.departments import DepartmentBadData, DepartmentResult
from domain.household_assessment import HouseholdAssessment, assess_household
from domain.policy import RegionStandards


@dataclass(frozen=True)
class VisitFigures:
    """What the assessment takes from the home visit (not the form: no form rule runs here)."""

    found_monthly_income_fen: int
    rigid_expenses_fen: int = 0


@dataclass
class AssessHouseholdInput:
    application_number: str  # for the logs only
    declared_incomes_fen: list[int]
    department_results: list[DepartmentResult]
    visit: VisitFigures | None
    standards: RegionStandards
    as_of: date


@dataclass
class AssessHouseholdResult:
    assessment: HouseholdAssessment | None = None
    # Why the departments' data cannot be assessed (a person takes over); None when assessed.
    bad_data: str | None = None


class AssessmentActivities:
    """Pure computation; no resources (a class so the worker wires it like the others)."""

    @activity.defn
    async def assess_household(self, input: AssessHouseholdInput) -> AssessHouseholdResult:
        try:
            assessment = assess_household(
                input.declared_incomes_fen, input.department_results, input.visit,
                standards=input.standards, as_of=input.as_of,
            )  # fmt: skip
        except DepartmentBadData as exc:
            activity.logger.info("assessment of %s: department data unusable", input.application_number)
            return AssessHouseholdResult(bad_data=str(exc))
        return AssessHouseholdResult(assessment)
