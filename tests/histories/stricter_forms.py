"""Stricter versions of the task forms, as a later release might ship them: each refuses a form the
recorded histories' staff submitted and today's validators accepted."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from domain.forms import (
    ApprovalForm,
    Attendee,
    DemocraticReviewForm,
    HomeVisitForm,
    OpinionForm,
    Ref,
    ReReviewForm,
)


class ThreeInvestigators(HomeVisitForm):
    investigators: list[Ref] = Field(min_length=3)


class NineAttendees(DemocraticReviewForm):
    attendees: list[Attendee] = Field(min_length=9)


class LongOpinion(OpinionForm):
    opinion: Annotated[str, StringConstraints(min_length=200)]


class ApprovalWithCategory(ApprovalForm):
    @model_validator(mode="after")
    def _category_required(self) -> ApprovalWithCategory:
        if self.category is None:
            raise ValueError("审批须写明类别")
        return self


class LongFindings(ReReviewForm):
    findings: Annotated[str, StringConstraints(min_length=200)]


# The form whose rule gets stricter → the stricter version.
STRICTER: dict[type[BaseModel], type[BaseModel]] = {
    HomeVisitForm: ThreeInvestigators,
    DemocraticReviewForm: NineAttendees,
    OpinionForm: LongOpinion,
    ApprovalForm: ApprovalWithCategory,
    ReReviewForm: LongFindings,
}
