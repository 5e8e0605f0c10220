"""Payloads exchanged between the API, the application workflow and its activities.

Workflow inputs carry codes and identifiers only — never names or ID numbers — because workflow
history is kept by the Temporal server; the personal data stays in the application database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.enums import AssistanceType, Stage


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


@dataclass
class ApplicationStatus:
    application_number: str
    stage: Stage
    deadline: datetime | None
    deadline_provisional: bool
    overdue: bool


@dataclass
class RecordStageInput:
    application_number: str
    stage: Stage


@dataclass
class ComputeDeadlineInput:
    start: datetime
    working_days: int


@dataclass
class ComputeDeadlineResult:
    due_date_iso: str
    at: datetime
    provisional: bool


@dataclass
class WithdrawInput:
    reason: str
    actor: str


@dataclass
class ApplicationResult:
    application_number: str
    final_stage: Stage
