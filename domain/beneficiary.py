"""After enrolment (动态管理): the beneficiary household, its lifecycle and the payloads of the
lifecycle workflow. Pure: months are "YYYY-MM" strings, money is fen, no I/O."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.calendar import CHINA_TZ
from domain.enums import AssistanceType
from domain.forms import ExitNotice, ReReviewForm, ReReviewOutcome
from domain.staff import Actor
from domain.tasks import TaskRecord


class BeneficiaryStatus(StrEnum):
    PENDING_ENROLMENT = "pending_enrolment"
    ACTIVE = "active"
    PHASE_OUT = "phase_out"  # 渐退期: still paid, exit at its end
    EXITING = "exiting"  # 退出告知期: still paid until the exit takes effect
    EXITED = "exited"
    STOPPED = "stopped"  # fraud: payment stopped at once


# Households that the payroll pays (suspended or exited households are not paid).
PAYABLE_STATUSES = (BeneficiaryStatus.ACTIVE, BeneficiaryStatus.PHASE_OUT, BeneficiaryStatus.EXITING)

STATUS_LABELS: dict[BeneficiaryStatus, str] = {
    BeneficiaryStatus.PENDING_ENROLMENT: "待纳入",
    BeneficiaryStatus.ACTIVE: "正常发放",
    BeneficiaryStatus.PHASE_OUT: "渐退期",
    BeneficiaryStatus.EXITING: "退出告知期",
    BeneficiaryStatus.EXITED: "已退出",
    BeneficiaryStatus.STOPPED: "已停发",
}


# -- months ------------------------------------------------------------------------------------
def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, n: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> int:
    """Inclusive count of months from `first` to `last` (0 when last < first)."""
    span = (int(last[:4]) * 12 + int(last[5:7])) - (int(first[:4]) * 12 + int(first[5:7])) + 1
    return max(0, span)


def month_start(month: str, hour: int = 9) -> datetime:
    """09:00 Beijing time on the first day of the month: when a month's lifecycle work begins."""
    return datetime.combine(date(int(month[:4]), int(month[5:7]), 1), time(hour), CHINA_TZ)


def current_month(now: datetime) -> str:
    return month_of(now.astimezone(CHINA_TZ).date())


def due_after_months(received: datetime, months: int) -> datetime:
    """The end (Beijing time) of the day `months` calendar months after `received`, clamped to the
    last day of a shorter month: "within 3 months" of a report received on 15 Feb is 15 May."""
    day = received.astimezone(CHINA_TZ).date()
    month = add_months(month_of(day), months)
    year, mon = int(month[:4]), int(month[5:7])
    last = date(year, mon, min(day.day, calendar.monthrange(year, mon)[1]))
    return datetime.combine(last + timedelta(days=1), time(0), CHINA_TZ)


def exit_effective_month(notice_day: date, notice_months: int) -> str:
    """The exit takes effect from the first month that starts after the notice period: the household
    is paid through the notice period (退出告知书 one month ahead)."""
    end = notice_day + timedelta(days=31 * notice_months - 1)
    return add_months(month_of(end), 1)


# -- forms and inputs ------------------------------------------------------------------------
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000)]
Fen = Annotated[int, Field(ge=0, le=1_000_000_000)]


def check_re_review(outcome: ReReviewOutcome, form: ReReviewForm, phase_out_max: int) -> None:
    """Cross-field rules of a re-review outcome (ValueError with the Chinese reason)."""
    if outcome is ReReviewOutcome.ADJUST and form.new_amount_fen is None and form.new_category is None:
        raise ValueError("调整须填写新的救助金额或类别")
    if outcome is ReReviewOutcome.PHASE_OUT:
        if form.phase_out_months is None or form.phase_out_months > phase_out_max:
            raise ValueError(f"渐退期须为1至{phase_out_max}个月")
        if form.exit_notice is None:
            raise ValueError("渐退须附退出告知书内容（理由、政策依据、就业转介）")
    if outcome is ReReviewOutcome.EXIT and form.exit_notice is None:
        raise ValueError("退出须附退出告知书内容（理由、政策依据、就业转介）")


class ChangeKind(StrEnum):
    INCOME_CHANGE = "income_change"  # 收入变化
    MEMBER_DEATH = "member_death"  # 家庭成员死亡
    MOVED_AWAY = "moved_away"  # 迁出
    OTHER = "other"


CHANGE_KIND_LABELS: dict[ChangeKind, str] = {
    ChangeKind.INCOME_CHANGE: "收入变化",
    ChangeKind.MEMBER_DEATH: "家庭成员死亡",
    ChangeKind.MOVED_AWAY: "迁出",
    ChangeKind.OTHER: "其他",
}


class ChangeReport(BaseModel):
    """家庭情况变化报告: the household (or staff for it) reports a change of circumstances. It opens
    a re-check task; `self_reported` honest reports earn the 诚信救助对象 mark."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ChangeKind
    description: Reason
    occurred_on: date
    self_reported: bool = Field(default=False, description="救助对象主动申报")


class FraudFinding(BaseModel):
    """骗取救助: hidden income or assets. Payment stops at once and the money is recovered."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    findings: Reason
    since_month: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = Field(
        description="自哪个月起不符合条件（YYYY-MM），该月起已发放的资金予以追回"
    )
    policy_basis: Reason


@dataclass
class EnrolInput:
    application_number: str
    assistance_type: AssistanceType
    county_code: str
    township_code: str
    community_code: str
    category: str | None
    monthly_amount_fen: int
    start_month: str
    green_channel: bool = False
    # The household's size at approval: a re-review's raise is checked against the standard formula
    # with it. None for households enrolled before it was recorded (then only the ceiling applies).
    household_size: int | None = None


@dataclass
class LifecycleState:
    """What the lifecycle carries across continue-as-new."""

    status: BeneficiaryStatus
    category: str | None
    amount_fen: int
    next_review_month: str
    phase_out_until: str | None = None
    exit_month: str | None = None
    event_seq: int = 0
    task_seq: int = 0
    reviews_done: int = 0
    integrity_mark: bool = False
    phase_out_notice: ExitNotice | None = None  # issued one month before the phase-out ends
    # A re-review's new amount applies from the next month's payroll, not to a month whose payroll
    # has yet to run: it is written to the beneficiaries table when that month begins.
    pending_amount_fen: int | None = None
    pending_from_month: str | None = None
    self_reported_tasks: list[str] = field(default_factory=list)  # re-checks of honest self-reports
    reminded_tasks: list[str] = field(default_factory=list)  # tasks whose follow-up reminder went out
    overdue_tasks: list[str] = field(default_factory=list)  # tasks reported to supervisors as overdue
    open_tasks: list[TaskRecord] = field(default_factory=list)
    pending_reports: list[PendingReport] = field(default_factory=list)
    # Re-review raises beyond the standard formula, waiting for the county approver's confirmation.
    confirmations: list[PendingConfirmation] = field(default_factory=list)


@dataclass
class PendingReport:
    report: ChangeReport
    actor: Actor
    received_at: datetime


@dataclass
class PendingConfirmation:
    """A re-review's adjustment the county must confirm (its task), as the investigator asked it."""

    task_id: str
    amount_fen: int
    category: str | None
    requested_by: Actor | None


@dataclass
class LifecycleInput:
    enrolment: EnrolInput
    state: LifecycleState | None = None  # set on continue-as-new
    # Continue as new past this many history events: years of monthly life stay cheap to replay.
    history_limit: int = 2000


@dataclass
class ReportChangeInput:
    report: ChangeReport
    actor: Actor


@dataclass
class ReportFraudInput:
    finding: FraudFinding
    actor: Actor


@dataclass
class LifecycleView:
    application_number: str
    status: BeneficiaryStatus
    category: str | None
    amount_fen: int
    next_review_month: str
    phase_out_until: str | None
    exit_month: str | None
    integrity_mark: bool
    reviews_done: int
    open_tasks: list[TaskRecord]
    pending_amount_fen: int | None = None  # decided, paid from `pending_from_month`
    pending_from_month: str | None = None


def lifecycle_workflow_id(application_number: str) -> str:
    return f"beneficiary-{application_number}"


# -- activity payloads -----------------------------------------------------------------------
@dataclass
class EnrolResult:
    masked_name: str
    previous_application: str | None  # re-entry: the household's earlier, exited enrolment


@dataclass
class UpdateBeneficiaryInput:
    application_number: str
    status: BeneficiaryStatus | None = None
    category: str | None = None
    amount_fen: int | None = None
    next_review_month: str | None = None
    phase_out_until: str | None = None
    exit_month: str | None = None
    integrity_mark: bool | None = None


@dataclass
class BeneficiaryEventInput:
    application_number: str
    seq: int
    at: datetime
    kind: str
    summary: str
    actor: Actor | None = None
    data: dict[str, object] = field(default_factory=dict)


@dataclass
class ExitNoticeInput:
    key: str
    application_number: str
    county_code: str
    issued_at: datetime
    effective_month: str
    reasons: str
    policy_basis: str
    referral: str


@dataclass
class StopForFraudInput:
    application_number: str
    county_code: str
    since_month: str
    findings: str
    decided_by: str
    at: datetime


@dataclass
class StopForFraudResult:
    amount_due_fen: int
    orders_cancelled: int


@dataclass
class CreditRecordInput:
    key: str
    application_number: str
    county_code: str
    kind: str  # fraud | integrity
    summary: str
    at: datetime
