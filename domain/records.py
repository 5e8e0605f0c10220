"""Inputs and results of the activities that write a case's records (tasks, timeline,
notifications, breaches, money) and read its reference data (policy, calendar)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.application import StatusProjection
from domain.enums import AssistanceType
from domain.staff import Actor, Role
from domain.tasks import TaskRecord


class DeadlineUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"


@dataclass
class ComputeDeadlineInput:
    start: datetime
    amount: int
    unit: DeadlineUnit = DeadlineUnit.WORKING_DAYS


@dataclass
class DeadlineInfo:
    at: datetime  # exclusive instant: the limit is breached from here on
    due_date_iso: str  # the last day, Beijing time
    reminder_at: datetime
    provisional: bool  # counted in a year whose holiday calendar is not loaded


@dataclass
class ResolvePolicyInput:
    assistance_type: AssistanceType
    county_code: str


@dataclass
class SaveTaskInput:
    application_number: str
    county_code: str
    task: TaskRecord
    workflow_id: str | None = None  # None: the application workflow of the case
    projection: StatusProjection | None = None  # the case's status, when it changed (case read)


@dataclass
class CaseEventInput:
    application_number: str
    seq: int
    at: datetime
    kind: str
    stage: str
    summary: str
    actor: Actor | None = None
    data: dict[str, Any] = field(default_factory=dict)
    projection: StatusProjection | None = None  # the case's status, when it changed (case read)


@dataclass
class TaskWithEventInput:
    """A task's new state and the timeline entry that says so, written by one activity."""

    task: SaveTaskInput
    event: CaseEventInput


@dataclass
class NotifyInput:
    key: str
    application_number: str
    kind: str
    recipient_role: Role
    region_code: str
    message: str


@dataclass
class BreachInput:
    application_number: str
    limit_name: str
    deadline: datetime
    breached_at: datetime
    stage: str
    county_code: str
    township_code: str
    green_channel: bool


@dataclass
class RecordStageInput:
    application_number: str
    stage: str


@dataclass
class HandOverInput:
    application_number: str
    assistance_type: AssistanceType
    county_code: str
    township_code: str
    community_code: str
    category: str | None
    monthly_amount_fen: int
    start_month: str


@dataclass
class PaymentOrderInput:
    order_key: str
    application_number: str
    kind: str
    amount_fen: int
    form_of_aid: str
    ordered_at: datetime
    month: str | None = None  # the month the payroll pays it (cash); None for the counter
    county_code: str | None = None
    township_code: str | None = None
    assistance_type: str | None = None
    item_description: str = ""  # in kind (实物): what is handed over


@dataclass
class PaymentOrderResult:
    order_key: str
    created: bool


@dataclass
class SpotCheckInput:
    application_number: str
    county_code: str
    percent: int
    at: datetime


@dataclass
class SpotCheckResult:
    sampled: bool
    basis: str
