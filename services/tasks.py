"""The task inbox (read from the tasks table) and task actions (workflow updates).

The table is the workflow's projection, good for listing and for answering obvious refusals
early with a precise code; the workflow's update validator remains the authority, so a race
between the table and the case (two clicks at once) is still refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.tasks import TaskOut, TaskPage
from domain.staff import ROLE_LABELS, Actor, Role, covers
from domain.tasks import (
    TASK_LABELS,
    ClaimTaskInput,
    CompleteTaskInput,
    FormInvalid,
    TaskStatus,
    TaskType,
    validate_completion,
)
from infra.models import Task
from services.errors import ApiError, forbidden
from services.idempotency import update_id
from services.workflow_gateway import WorkflowGateway

PENDING = (TaskStatus.OPEN, TaskStatus.CLAIMED)
# Oversight roles see every task of their region, whatever its role, but cannot act on it.
READ_ALL_ROLES = (Role.SUPERVISOR, Role.OPERATOR)


@dataclass(frozen=True)
class TaskFilter:
    statuses: tuple[TaskStatus, ...] = PENDING
    mine: bool = False
    task_type: TaskType | None = None
    overdue: bool = False
    due_before: datetime | None = None
    application_number: str | None = None
    limit: int = 50
    offset: int = 0


def _visible_to(actor: Actor) -> ColumnElement[bool]:
    in_region = Task.region_code.startswith(actor.region_code, autoescape=True)
    if actor.role in READ_ALL_ROLES:
        return in_region
    return and_(Task.candidate_role == actor.role.value, in_region)


def _utc(value: datetime) -> datetime:
    # Compared with stored UTC values; a naive filter value is taken as UTC too.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class TaskService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], gateway: WorkflowGateway) -> None:
        self._sessions = sessions
        self._gateway = gateway

    async def inbox(self, actor: Actor, f: TaskFilter) -> TaskPage:
        now = datetime.now(UTC)
        conditions: list[ColumnElement[bool]] = [
            _visible_to(actor),
            Task.status.in_([s.value for s in f.statuses]),
        ]
        if f.mine:
            conditions.append(Task.assignee == actor.username)
        if f.task_type is not None:
            conditions.append(Task.task_type == f.task_type.value)
        if f.overdue:
            # A cancelled task cannot be late, nor a completed one.
            conditions += [Task.due_at < now, Task.status.in_([s.value for s in PENDING])]
        if f.due_before is not None:
            conditions.append(Task.due_at < _utc(f.due_before))
        if f.application_number:
            conditions.append(Task.application_number == f.application_number)
        query = select(Task).where(*conditions)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.order_by(Task.due_at.asc().nulls_last(), Task.created_at, Task.task_id)
                .limit(f.limit)
                .offset(f.offset)
            )
            items = [TaskOut.from_row(r, now) for r in rows]
        return TaskPage(items=items, total=int(total or 0), limit=f.limit, offset=f.offset)

    async def get(self, task_id: str, actor: Actor) -> TaskOut:
        row = await self._load(task_id)
        if not (actor.role in READ_ALL_ROLES or actor.role.value == row.candidate_role) or not covers(
            actor.region_code, row.region_code
        ):
            raise forbidden("该待办不在您的办理范围内")
        return TaskOut.from_row(row, datetime.now(UTC))

    async def claim(self, task_id: str, actor: Actor, key: str | None = None) -> TaskOut:
        row = await self._actionable(task_id, actor, key)
        if row.status == TaskStatus.CLAIMED.value and key is None:
            raise _not_open(row, "您已认领该待办")  # by someone else: refused in _actionable
        record = await self._gateway.claim(
            row.application_number, ClaimTaskInput(task_id, actor), row.workflow_id,
            update_id(key, "claim", task_id, actor),
        )  # fmt: skip
        return TaskOut.from_record(record, row.application_number, datetime.now(UTC))

    async def release(self, task_id: str, actor: Actor, key: str | None = None) -> TaskOut:
        row = await self._actionable(task_id, actor, key)
        if row.status != TaskStatus.CLAIMED.value and key is None:
            raise ApiError(409, "task_not_open", "该待办尚未被认领")
        record = await self._gateway.release(
            row.application_number, ClaimTaskInput(task_id, actor), row.workflow_id,
            update_id(key, "release", task_id, actor),
        )  # fmt: skip
        return TaskOut.from_record(record, row.application_number, datetime.now(UTC))

    async def complete(
        self, task_id: str, actor: Actor, outcome: str, form: dict[str, Any], key: str | None = None
    ) -> TaskOut:
        row = await self._actionable(task_id, actor, key)
        try:
            validate_completion(TaskType(row.task_type), outcome, form)
        except FormInvalid as exc:
            raise ApiError(422, "invalid_form", str(exc), errors=exc.errors) from None
        record = await self._gateway.complete(
            row.application_number, CompleteTaskInput(task_id, actor, outcome, form), row.workflow_id,
            update_id(key, "complete", task_id, actor, {"outcome": outcome, "form": form}),
        )  # fmt: skip
        return TaskOut.from_record(record, row.application_number, datetime.now(UTC))

    async def _load(self, task_id: str) -> Task:
        async with self._sessions() as session:
            row = await session.get(Task, task_id)
        if row is None:
            raise ApiError(404, "task_not_found", f"未找到编号为 {task_id} 的待办")
        return row

    async def _actionable(self, task_id: str, actor: Actor, key: str | None = None) -> Task:
        """404 / 403 / 409 from the inbox projection, in that order, before the workflow is asked.
        With an idempotency key the task's state is left to the workflow: a retry of an action that
        succeeded finds the task claimed or completed, and Temporal answers it with the first result
        (a new action on a closed task is still refused by the validator, with the same codes)."""
        row = await self._load(task_id)
        label = TASK_LABELS[TaskType(row.task_type)]
        if actor.role.value != row.candidate_role:
            raise forbidden(f"“{label}”须由{ROLE_LABELS[Role(row.candidate_role)]}办理")
        if not covers(actor.region_code, row.region_code):
            raise forbidden("该待办不在您的管辖范围内")
        if row.status == TaskStatus.CANCELLED.value:
            raise _not_open(row)  # whatever a retry's first attempt did, nothing more can happen
        if key is not None:
            return row
        if row.status not in (TaskStatus.OPEN.value, TaskStatus.CLAIMED.value):
            raise _not_open(row)
        if row.status == TaskStatus.CLAIMED.value and row.assignee != actor.username:
            raise _not_open(row, f"该待办已由 {row.assignee} 认领")
        return row


_STATUS_WORDS = {
    TaskStatus.OPEN.value: "待办理",
    TaskStatus.CLAIMED.value: "被认领",
    TaskStatus.COMPLETED.value: "办结",
    TaskStatus.CANCELLED.value: "取消",
}


def _not_open(row: Task, message: str | None = None) -> ApiError:
    label = TASK_LABELS[TaskType(row.task_type)]
    return ApiError(
        409,
        "task_not_open",
        message or f"待办“{label}”已{_STATUS_WORDS.get(row.status, row.status)}，不能再办理",
    )
