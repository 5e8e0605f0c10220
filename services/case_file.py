"""The case file (案件页): one case as its page shows it, assembled from the case service.

What it adds to CaseService.get / timeline, and nothing a page could get wrong by itself: the
stage bar from the case's policy (domain/case_stages.py), each time limit's state and label
(domain/deadline_labels.py), the open tasks, and which case actions the caller's role may take
now (the roles are those the API routes require: CASE_ACTION_ROLES is the one list both use; the
workflow's validator still decides, so a stale page gets the workflow's 409).

The audited edges for the pages live here too: the full personal record and the case actions are
recorded in the audit log under the same action names the API routes use, refusals included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.reference import load_calendar
from api.schemas.applications import ApplicationOut, LimitOut, PersonalDataOut
from api.schemas.cases import ExtendIn, ObjectionIn, TimelineOut, WithdrawIn
from api.schemas.tasks import TaskOut
from domain.case_stages import ENDINGS, OPINION, StageStep, stage_path
from domain.deadline_labels import DeadlineLabel, deadline_label
from domain.enums import ASSISTANCE_TYPE_LABELS, Stage
from domain.masking import PERSONAL_DATA_ROLES
from domain.messages import field_errors
from domain.policy import PolicyBook
from domain.staff import ROLE_LABELS, Actor, Role
from domain.tasks import TaskStatus, TaskType
from infra.models import Region
from infra.policy_config import load_policy_book
from services.audit import AuditTrail, Target
from services.case_view import CaseService
from services.errors import ApiError

T = TypeVar("T")


class CaseAction(StrEnum):
    OBJECTION = "objection"
    WITHDRAW = "withdraw"
    EXTEND = "extend"


# Who may take each case action (the API routes' require_roles use these tuples).
CASE_ACTION_ROLES: dict[CaseAction, tuple[Role, ...]] = {
    CaseAction.OBJECTION: (Role.TOWNSHIP_REVIEWER,),
    CaseAction.WITHDRAW: (Role.INTAKE_CLERK, Role.TOWNSHIP_REVIEWER),
    CaseAction.EXTEND: (Role.COUNTY_APPROVER,),
}
# The audit log's action names: those of the API routes.
AUDIT_ACTIONS: dict[CaseAction, str] = {
    CaseAction.OBJECTION: "application.objection",
    CaseAction.WITHDRAW: "application.withdraw",
    CaseAction.EXTEND: "application.extend",
}
# The API's body model of each action and its one text field (the page's textarea of that name).
ACTION_BODIES: dict[CaseAction, tuple[type[BaseModel], str]] = {
    CaseAction.OBJECTION: (ObjectionIn, "summary"),
    CaseAction.WITHDRAW: (WithdrawIn, "reason"),
    CaseAction.EXTEND: (ExtendIn, "reason"),
}
CHANNEL_LABELS = {
    "walk_in": "窗口受理",
    "online": "网上申请",
    "proxy": "帮办代办",
    "grid_report": "网格员上报",
}


class LimitState(StrEnum):
    RUNNING = "running"
    PROVISIONAL = "provisional"  # running, counted on weekends only: the year's holidays are not out
    MET = "met"
    BREACHED = "breached"
    ENDED = "ended"  # stopped without being met (the case was withdrawn or closed)


LIMIT_STATE_LABELS: dict[LimitState, str] = {
    LimitState.RUNNING: "进行中",
    LimitState.PROVISIONAL: "进行中（暂定）",
    LimitState.MET: "已按时完成",
    LimitState.BREACHED: "已超期",
    LimitState.ENDED: "已终止",
}


@dataclass(frozen=True)
class LimitRow:
    name: str
    label: str
    due_date: str  # the last day (Beijing), as the workflow computed it
    deadline: datetime
    state: LimitState
    provisional: bool
    countdown: DeadlineLabel | None  # "剩余N个工作日" / "已超期N个工作日" while it matters

    @property
    def state_label(self) -> str:
        return LIMIT_STATE_LABELS[self.state]


@dataclass
class CaseFile:
    case: ApplicationOut
    timeline: TimelineOut
    steps: list[StageStep]
    limits: list[LimitRow]
    open_tasks: list[TaskOut]
    task_labels: dict[str, DeadlineLabel]
    actions: list[CaseAction]
    may_read_personal_data: bool
    type_label: str
    channel_label: str
    region_names: dict[str, str] = field(default_factory=dict)


def limit_state(limit: LimitOut) -> LimitState:
    if limit.breached:
        return LimitState.BREACHED
    if limit.met:
        return LimitState.MET
    if not limit.active:
        return LimitState.ENDED
    return LimitState.PROVISIONAL if limit.provisional else LimitState.RUNNING


@cache
def _policies(path: Path) -> PolicyBook:
    return load_policy_book(path)


def available_actions(actor: Actor, case: ApplicationOut) -> list[CaseAction]:
    """The actions the caller's role may take, offered when the case's stage allows them (the
    workflow refuses the rest with 409 anyway: objections only during publicity, no withdrawal
    or extension once decided, one extension)."""
    if case.workflow_pending or not case.live:
        return []  # the workflow is not there to take them
    stage = case.stage
    open_now = stage not in (*ENDINGS, Stage.APPROVED, Stage.PAPERWORK)
    possible = {
        CaseAction.OBJECTION: stage is Stage.PUBLICITY,
        CaseAction.WITHDRAW: open_now,
        CaseAction.EXTEND: open_now and not case.whole_process_extended,
    }
    return [a for a, roles in CASE_ACTION_ROLES.items() if actor.role in roles and possible[a]]


class CaseFiles:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], cases: CaseService, policy_file: Path
    ) -> None:
        self._sessions = sessions
        self._cases = cases
        self._policy_file = policy_file

    async def open(self, application_number: str, actor: Actor) -> CaseFile:
        await self._cases.load(application_number, actor)  # 404 / 403 before anything else
        # Then the workflow's answer and the stored file side by side: the query's round trip to the
        # worker is most of the page's time, the timeline and the calendar fit inside it.
        case, timeline, calendar = await asyncio.gather(
            self._cases.get(application_number, actor),
            self._cases.timeline(application_number, actor),
            load_calendar(self._sessions),
        )
        now = datetime.now(UTC)
        policy = _policies(self._policy_file).resolve(case.assistance_type, case.county_code)
        visited = {e.stage for e in timeline.events}
        if any(e.kind == "opinion" for e in timeline.events):
            visited.add(OPINION)
        pending = [t for t in timeline.tasks if t.status in (TaskStatus.OPEN, TaskStatus.CLAIMED)]
        open_tasks = case.open_tasks if case.live else pending
        steps = stage_path(
            policy,
            case.stage,
            visited=visited,
            opinion_open=any(t.task_type is TaskType.TOWNSHIP_OPINION for t in open_tasks),
        )
        limits = []
        for lim in case.limits:
            state = limit_state(lim)
            counting = state in (LimitState.RUNNING, LimitState.PROVISIONAL, LimitState.BREACHED)
            limits.append(
                LimitRow(
                    name=lim.name,
                    label=lim.label,
                    due_date=lim.due_date,
                    deadline=lim.deadline,
                    state=state,
                    provisional=lim.provisional,
                    countdown=deadline_label(calendar, lim.deadline, now) if counting else None,
                )
            )
        task_labels = {
            t.task_id: deadline_label(calendar, t.due_at, now) for t in open_tasks if t.due_at is not None
        }
        async with self._sessions() as session:
            codes = (case.county_code, case.township_code, case.community_code)
            found = await session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
            names = {str(code): str(name) for code, name in found.all()}
        return CaseFile(
            case=case,
            timeline=timeline,
            steps=steps,
            limits=limits,
            open_tasks=open_tasks,
            task_labels=task_labels,
            actions=available_actions(actor, case),
            may_read_personal_data=actor.role in PERSONAL_DATA_ROLES,
            type_label=ASSISTANCE_TYPE_LABELS[case.assistance_type],
            channel_label=CHANNEL_LABELS.get(case.channel.value, case.channel.value),
            region_names=names,
        )


async def _audited(
    trail: AuditTrail,
    actor: Actor,
    action: str,
    application_number: str,
    call: Callable[[], Awaitable[T]],
    required: bool = False,
) -> T:
    """Runs the call and records it (or its refusal) as the API's audited routes do."""
    target = Target.application(application_number)
    try:
        result = await call()
    except ApiError as refusal:
        detail = {"code": refusal.code, "channel": "web"}
        await trail.record(actor, action, target, status_code=refusal.status_code, detail=detail)
        raise
    detail = {"channel": "web"}
    if isinstance(result, ApplicationOut):
        detail["stage"] = result.stage.value
    await trail.record(actor, action, target, detail=detail, required=required)
    return result


async def read_personal_data(
    cases: CaseService, trail: AuditTrail, application_number: str, actor: Actor
) -> PersonalDataOut:
    """The full record for the pages' 查看完整信息: the same check as GET …/personal-data, and the
    read recorded before the record is returned (if the audit log cannot take it: 503, no record)."""
    return await _audited(
        trail,
        actor,
        "personal_data.read",
        application_number,
        lambda: cases.personal_data(application_number, actor),
        required=True,
    )


async def take_action(
    cases: CaseService,
    trail: AuditTrail,
    action: CaseAction,
    application_number: str,
    text: str,
    actor: Actor,
    key: str | None,
) -> ApplicationOut:
    """A case action from a page: the role check of the API route, then the service's own."""

    async def call() -> ApplicationOut:
        if actor.role not in CASE_ACTION_ROLES[action]:
            allowed = "、".join(ROLE_LABELS[r] for r in CASE_ACTION_ROLES[action])
            raise ApiError(403, "forbidden", f"此操作仅限{allowed}")
        body, field = ACTION_BODIES[action]
        try:
            # The API's body model: the same lengths, stripping and Chinese messages.
            value = str(getattr(body.model_validate({field: text}), field))
        except ValidationError as invalid:
            raise ApiError(422, "validation_error", "提交的内容有误", errors=field_errors(invalid)) from None
        if action is CaseAction.OBJECTION:
            return await cases.file_objection(application_number, value, actor, key)
        if action is CaseAction.WITHDRAW:
            return await cases.withdraw(application_number, value, actor, key)
        return await cases.extend(application_number, value, actor, key)

    return await _audited(trail, actor, AUDIT_ACTIONS[action], application_number, call)
