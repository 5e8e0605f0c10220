"""/api/v1/intake — what the intake window offers a clerk, and a case's one-time notice (一次性告知书).
The staff pages' 受理登记 calls the same service (services/intake.py); filing itself is
POST /api/v1/applications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import CurrentStaff
from api.intake_deps import IntakeServiceDep
from api.schemas.codes import ApplicationNumber
from api.schemas.intake import IntakeOptionsOut, MaterialsNoticeOut

router = APIRouter(tags=["申请受理"])

_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "不在管辖范围内"},
    404: {"description": "申请不存在"},
}


@router.get(
    "/api/v1/intake/options",
    response_model=IntakeOptionsOut,
    summary="受理登记的选项：政策配置的救助类型及其申请材料、本人受理范围内的乡镇和村（社区）（受理窗口人员）",
    responses={403: {"description": "仅限受理窗口人员"}},
)
async def intake_options(service: IntakeServiceDep, clerk: CurrentStaff) -> IntakeOptionsOut:
    return IntakeOptionsOut.model_validate(await service.options(clerk))


@router.get(
    "/api/v1/applications/{application_number}/materials-notice",
    response_model=MaterialsNoticeOut,
    summary="一次性告知书：尚缺的全部申请材料、免交材料、受理单位和办理时限（脱敏）",
    responses=_READ_ERRORS,
)
async def materials_notice(
    application_number: Annotated[ApplicationNumber, Path()], service: IntakeServiceDep, actor: CurrentStaff
) -> MaterialsNoticeOut:
    return MaterialsNoticeOut.model_validate(await service.notice(application_number, actor))
