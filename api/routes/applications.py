"""/api/v1/applications — intake (受理) and case lookup."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Response, status

from api.deps import ApplicationServiceDep
from api.schemas.applications import ApplicationIn, ApplicationOut

router = APIRouter(prefix="/api/v1/applications", tags=["申请受理"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "申请编号已用于内容不同的另一份申请"},
    422: {"description": "数据校验失败（字段级中文提示）"},
    503: {"description": "流程服务暂不可用；申请已保存，可原样重新提交"},
}


@router.post(
    "",
    response_model=ApplicationOut,
    status_code=status.HTTP_201_CREATED,
    summary="受理一份救助申请（以申请编号幂等）",
    responses={200: {"description": "重复提交：返回已有案件", "model": ApplicationOut}, **_ERRORS},
)
async def submit_application(
    body: ApplicationIn, service: ApplicationServiceDep, response: Response
) -> ApplicationOut:
    result = await service.submit(body)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get(
    "/{application_number}",
    response_model=ApplicationOut,
    summary="查询申请的当前阶段",
    responses={404: {"description": "申请不存在"}},
)
async def get_application(
    service: ApplicationServiceDep,
    application_number: str = Path(min_length=6, max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]+$"),
) -> ApplicationOut:
    return await service.get(application_number)
