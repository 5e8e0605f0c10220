"""Task inbox bodies. A task is shown the same whether it comes from the workflow (an update's
result, the status query) or from the tasks table (the inbox projection)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.staff import ROLE_LABELS, Role
from domain.tasks import TASK_LABELS, TaskRecord, TaskStatus, TaskType
from infra.models import Task


class TaskOut(BaseModel):
    task_id: str
    application_number: str
    task_type: TaskType
    task_label: str
    stage: str
    candidate_role: Role
    role_label: str
    region_code: str = Field(description="待办所属辖区：该辖区（含上级）的对应角色可办理")
    status: TaskStatus
    assignee: str | None
    due_at: datetime | None
    follow_up_at: datetime | None = Field(description="提醒时间")
    overdue: bool
    created_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    outcome: str | None
    form: dict[str, Any]
    note: str

    @classmethod
    def from_record(cls, record: TaskRecord, application_number: str, now: datetime) -> TaskOut:
        return cls(
            application_number=application_number,
            **_derived(record.task_type, record.candidate_role, record.status, record.due_at, now),
            task_id=record.task_id,
            task_type=record.task_type,
            stage=record.stage,
            candidate_role=record.candidate_role,
            region_code=record.region_code,
            status=record.status,
            assignee=record.assignee,
            due_at=record.due_at,
            follow_up_at=record.follow_up_at,
            created_at=record.created_at,
            completed_at=record.completed_at,
            completed_by=record.completed_by,
            outcome=record.outcome,
            form=record.form,
            note=record.note,
        )

    @classmethod
    def from_row(cls, row: Task, now: datetime) -> TaskOut:
        task_type, role, status = TaskType(row.task_type), Role(row.candidate_role), TaskStatus(row.status)
        due_at = row.due_at
        return cls(
            application_number=row.application_number,
            **_derived(task_type, role, status, due_at, now),
            task_id=row.task_id,
            task_type=task_type,
            stage=row.stage,
            candidate_role=role,
            region_code=row.region_code,
            status=status,
            assignee=row.assignee,
            due_at=due_at,
            follow_up_at=row.follow_up_at,
            created_at=row.created_at,
            completed_at=row.completed_at,
            completed_by=row.completed_by,
            outcome=row.outcome,
            form=row.form or {},
            note=row.note or "",
        )


def _derived(
    task_type: TaskType, role: Role, status: TaskStatus, due_at: datetime | None, now: datetime
) -> dict[str, Any]:
    pending = status in (TaskStatus.OPEN, TaskStatus.CLAIMED)
    return {
        "task_label": TASK_LABELS[task_type],
        "role_label": ROLE_LABELS[role],
        "overdue": pending and due_at is not None and due_at <= now,
    }


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int = Field(description="符合条件的待办总数")
    limit: int
    offset: int


class CompleteTaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(min_length=1, max_length=32, description="办理结果，如 completed、approve")
    form: dict[str, Any] = Field(default_factory=dict, description="该结果所需的表单")
