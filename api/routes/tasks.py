"""/api/v1/tasks — the task inbox (待办) and claiming, releasing and completing a task."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.audit_scope import AuditScope, audited
from api.deps import CurrentStaff, TaskServiceDep
from api.idempotency import IdempotencyKey
from api.params import Instant, Offset
from api.schemas.codes import NumberLookup, TaskId
from api.schemas.tasks import CompleteTaskIn, TaskOut, TaskPage
from domain.tasks import TaskStatus, TaskType
from services.audit import clean
from services.tasks import PENDING, TaskFilter

router = APIRouter(prefix="/api/v1/tasks", tags=["待办"])

TaskIdPath = Annotated[TaskId, Path()]

_ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "角色不符或不在管辖范围内（forbidden）"},
    404: {"description": "待办不存在（task_not_found）"},
    409: {"description": "待办已被他人认领、已办结或已取消（task_not_open），或案件阶段不允许"},
    422: {
        "description": "办理结果或表单有误（invalid_form，含字段级错误）、金额超出政策上限（amount_not_allowed）或幂等键无效（invalid_idempotency_key）"
    },
    503: {"description": "流程服务暂不可用；操作未生效"},
}


@router.get(
    "",
    response_model=TaskPage,
    summary="我可办理的待办（监督、运维人员可查看本辖区全部待办）",
)
async def list_tasks(
    actor: CurrentStaff,
    service: TaskServiceDep,
    status: Annotated[list[TaskStatus] | None, Query(description="默认：待办理和已认领")] = None,
    mine: Annotated[bool, Query(description="只看我认领的")] = False,
    task_type: Annotated[TaskType | None, Query()] = None,
    overdue: Annotated[bool, Query(description="只看已超期未办结的")] = False,
    due_before: Annotated[Instant | None, Query(description="期限早于此时刻")] = None,
    application_number: Annotated[NumberLookup | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> TaskPage:
    wanted = TaskFilter(
        statuses=tuple(status) if status else PENDING,
        mine=mine,
        task_type=task_type,
        overdue=overdue,
        due_before=due_before,
        application_number=application_number,
        limit=limit,
        offset=offset,
    )
    return await service.inbox(actor, wanted)


@router.get(
    "/{task_id}",
    response_model=TaskOut,
    summary="待办详情",
    responses={403: _ACTION_ERRORS[403], 404: _ACTION_ERRORS[404]},
)
async def get_task(task_id: TaskIdPath, actor: CurrentStaff, service: TaskServiceDep) -> TaskOut:
    return await service.get(task_id, actor)


@router.post("/{task_id}/claim", response_model=TaskOut, summary="认领待办", responses=_ACTION_ERRORS)
async def claim_task(
    audit: Annotated[AuditScope, Depends(audited("task.claim", "task", "task_id"))],
    task_id: TaskIdPath,
    actor: CurrentStaff,
    service: TaskServiceDep,
    key: IdempotencyKey,
) -> TaskOut:
    task = await service.claim(task_id, actor, key)
    await audit.ok(task_type=task.task_type.value, status=task.status.value)
    return task


@router.post(
    "/{task_id}/release", response_model=TaskOut, summary="退回待办池（取消认领）", responses=_ACTION_ERRORS
)
async def release_task(
    audit: Annotated[AuditScope, Depends(audited("task.release", "task", "task_id"))],
    task_id: TaskIdPath,
    actor: CurrentStaff,
    service: TaskServiceDep,
    key: IdempotencyKey,
) -> TaskOut:
    task = await service.release(task_id, actor, key)
    await audit.ok(task_type=task.task_type.value, status=task.status.value)
    return task


@router.post(
    "/{task_id}/complete",
    response_model=TaskOut,
    summary="办结待办（提交办理结果和表单）",
    responses=_ACTION_ERRORS,
)
async def complete_task(
    audit: Annotated[AuditScope, Depends(audited("task.complete", "task", "task_id"))],
    task_id: TaskIdPath,
    body: CompleteTaskIn,
    actor: CurrentStaff,
    service: TaskServiceDep,
    key: IdempotencyKey,
) -> TaskOut:
    # The outcome is a code (approve, reject …); the form may hold names and figures: not logged.
    audit.detail["outcome"] = clean(body.outcome, 32)
    task = await service.complete(task_id, actor, body.outcome, body.form, key)
    await audit.ok(task_type=task.task_type.value, status=task.status.value)
    return task
