"""/api/v1/applications — intake (受理), case lookup, timeline and case-level actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from api.deps import ApplicationServiceDep, CaseServiceDep, CurrentStaff, require_roles
from api.schemas.applications import ApplicationIn, ApplicationOut
from api.schemas.cases import ExtendIn, ObjectionIn, TimelineOut, WithdrawIn
from domain.staff import Actor, Role

router = APIRouter(prefix="/api/v1/applications", tags=["申请受理"])

Number = Annotated[str, Path(min_length=6, max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]+$")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "角色不符或不在管辖范围内"},
    409: {"description": "申请编号已用于内容不同的另一份申请"},
    422: {"description": "数据校验失败（字段级中文提示）"},
    503: {"description": "流程服务暂不可用；申请已保存，可原样重新提交"},
}
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "不在管辖范围内"},
    404: {"description": "申请不存在"},
}
_ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    **_READ_ERRORS,
    409: {"description": "案件当前阶段不允许此操作（wrong_stage、already_extended、case_closed）"},
    422: {"description": "内容不符合要求"},
    503: {"description": "流程服务暂不可用；操作未生效"},
}


@router.post(
    "",
    response_model=ApplicationOut,
    status_code=status.HTTP_201_CREATED,
    summary="受理一份救助申请（以申请编号幂等；受理窗口人员）",
    responses={200: {"description": "重复提交：返回已有案件", "model": ApplicationOut}, **_ERRORS},
)
async def submit_application(
    body: ApplicationIn, service: ApplicationServiceDep, clerk: CurrentStaff, response: Response
) -> ApplicationOut:
    result = await service.submit(body, clerk)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get(
    "/{application_number}",
    response_model=ApplicationOut,
    summary="查询申请的当前阶段、时限与待办",
    responses=_READ_ERRORS,
)
async def get_application(
    application_number: Number, service: CaseServiceDep, actor: CurrentStaff
) -> ApplicationOut:
    return await service.get(application_number, actor)


@router.get(
    "/{application_number}/timeline",
    response_model=TimelineOut,
    summary="案件电子档案时间线（事件与待办）",
    responses=_READ_ERRORS,
)
async def get_timeline(
    application_number: Number, service: CaseServiceDep, actor: CurrentStaff
) -> TimelineOut:
    return await service.timeline(application_number, actor)


@router.post(
    "/{application_number}/objections",
    response_model=ApplicationOut,
    summary="登记公示期间的异议（乡镇审核人员）",
    responses=_ACTION_ERRORS,
)
async def file_objection(
    application_number: Number,
    body: ObjectionIn,
    service: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(Role.TOWNSHIP_REVIEWER))],
) -> ApplicationOut:
    return await service.file_objection(application_number, body.summary, actor)


@router.post(
    "/{application_number}/withdraw",
    response_model=ApplicationOut,
    summary="申请人撤回申请（受理窗口或乡镇审核人员登记）",
    responses=_ACTION_ERRORS,
)
async def withdraw(
    application_number: Number,
    body: WithdrawIn,
    service: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(Role.INTAKE_CLERK, Role.TOWNSHIP_REVIEWER))],
) -> ApplicationOut:
    return await service.withdraw(application_number, body.reason, actor)


@router.post(
    "/{application_number}/extend",
    response_model=ApplicationOut,
    summary="延长全流程办结时限至45个工作日（县级审批人员，限一次）",
    responses=_ACTION_ERRORS,
)
async def extend_deadline(
    application_number: Number,
    body: ExtendIn,
    service: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(Role.COUNTY_APPROVER))],
) -> ApplicationOut:
    return await service.extend(application_number, body.reason, actor)
