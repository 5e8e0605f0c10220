"""Payloads exchanged between the API and the application workflow.

Workflow inputs carry codes and figures only — never names or ID numbers — because workflow
history is kept by the Temporal server; the personal data stays in the application database.
The masked name (张*明) is what the publicity notice shows anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.enums import AssistanceType, Channel, Stage
from domain.staff import Actor
from domain.tasks import TaskRecord


def workflow_id_for(application_number: str) -> str:
    return f"application-{application_number}"


@dataclass
class StartApplicationInput:
    application_number: str
    assistance_type: AssistanceType
    county_code: str
    township_code: str
    community_code: str
    green_channel: bool
    accepted_at: datetime
    channel: Channel = Channel.WALK_IN
    household_size: int = 1
    declared_monthly_income_fen: int = 0
    # Per member, in the order of the application's member list (figures only, no identities):
    # the data cross-check compares each member's declaration with the departments' figures.
    declared_member_incomes_fen: list[int] = field(default_factory=list)
    materials_provided: list[str] = field(default_factory=list)
    commitment_signed: bool = False  # 告知承诺制
    staff_relative: bool = False  # 近亲属备案: a county-level home visit is required
    masked_name: str = ""
    submitted_by: Actor | None = None


@dataclass
class LimitView:
    name: str
    label: str
    at: datetime
    due_date: str
    provisional: bool
    met: bool
    breached: bool
    active: bool


@dataclass
class ApplicationStatus:
    application_number: str
    stage: Stage
    assistance_type: AssistanceType
    green_channel: bool
    overdue: bool = False
    limits: list[LimitView] = field(default_factory=list)
    open_tasks: list[TaskRecord] = field(default_factory=list)
    missing_materials: list[str] = field(default_factory=list)
    proposed_amount_fen: int | None = None
    approved_amount_fen: int | None = None
    category: str | None = None
    publicity_rounds: int = 0
    objections: int = 0
    whole_process_extended: bool = False

    @property
    def deadline(self) -> datetime | None:
        active = [lim.at for lim in self.limits if lim.active]
        return min(active) if active else None


@dataclass
class StatusProjection:
    """The workflow's view of its case (the status query's answer, less the open tasks: their rows
    are the projection of those), numbered, and carried by the activity that writes the case's next
    record whenever it changed: the case read serves it from the database without asking the
    worker. `seq` grows with each change, so a retry that lands late never brings an older one back."""

    seq: int
    status: ApplicationStatus


@dataclass
class WithdrawInput:
    reason: str
    actor: Actor


@dataclass
class ObjectionInput:
    """异议: filed by staff on behalf of a member of the public (no objector identity kept here)."""

    summary: str
    actor: Actor


@dataclass
class RecheckInput:
    """复查: the applicant disputes the data check and brings evidence (references to the archive)."""

    summary: str
    evidence_refs: list[str]
    actor: Actor


@dataclass
class ExtendDeadlineInput:
    reason: str
    actor: Actor


@dataclass
class CalendarLoadedInput:
    """Signal: an operator loaded the holiday calendar of `year`; limits counted provisionally
    (weekends only) are counted again from their start."""

    year: int
    loaded_by: str = ""


@dataclass
class ApplicationResult:
    application_number: str
    final_stage: Stage
    approved_amount_fen: int | None = None
