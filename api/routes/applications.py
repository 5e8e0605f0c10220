"""/api/v1/applications — intake (受理), case lookup, timeline and case-level actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from api.audit_scope import AuditScope, audited
from api.deps import (
    ApplicationServiceDep,
    CaseSearchDep,
    CaseServiceDep,
    CurrentStaff,
    PiiDep,
    SessionsDep,
    require_roles,
)
from api.idempotency import IdempotencyKey
from api.params import Offset
from api.schemas.applicant_sms import ApplicantSmsOut, PaymentSmsIn, SmsOut
from api.schemas.applications import ApplicationIn, ApplicationOut, PersonalDataOut
from api.schemas.beneficiaries import AccountIn, AccountOut
from api.schemas.cases import (
    CasePage,
    ExtendIn,
    IdSearchIn,
    ObjectionIn,
    PublicityNoticeOut,
    TimelineOut,
    WithdrawIn,
)
from api.schemas.codes import ApplicationNumber, FilterCode, NumberLookup
from domain.enums import AssistanceType, Stage
from domain.staff import Actor, Role
from services.accounts import put_case_account
from services.applicant_sms import PAYMENT_SMS_ROLES, ApplicantSmsService
from services.audit import Target
from services.case_file import CASE_ACTION_ROLES, CaseAction
from services.case_search import CaseFilter

router = APIRouter(prefix="/api/v1/applications", tags=["申请受理"])

Number = Annotated[ApplicationNumber, Path()]

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
    audit: Annotated[AuditScope, Depends(audited("application.submit", "application"))],
    body: ApplicationIn,
    service: ApplicationServiceDep,
    clerk: CurrentStaff,
    response: Response,
    _key: IdempotencyKey,  # checked only: the application number is this route's idempotency key
) -> ApplicationOut:
    audit.target = Target.application(body.application_number, body.region.community_code)
    audit.detail.update(assistance_type=body.assistance_type.value, channel=body.channel.value)
    result = await service.submit(body, clerk)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    await audit.ok(
        response.status_code or status.HTTP_201_CREATED, created=result.created, stage=result.stage.value
    )
    return result


@router.get(
    "",
    response_model=CasePage,
    summary="案件检索：按申请编号（前缀）、阶段、救助类型、地区、是否超期（仅本辖区；不按姓名或身份证号检索）",
    responses={403: {"description": "所选地区不在管辖范围内"}},
)
async def search_applications(
    actor: CurrentStaff,
    search: CaseSearchDep,
    application_number: Annotated[NumberLookup | None, Query(description="申请编号或其开头部分")] = None,
    stage: Annotated[Stage | None, Query()] = None,
    assistance_type: Annotated[AssistanceType | None, Query()] = None,
    region_code: Annotated[FilterCode | None, Query(description="县、乡镇或村社区编码（本辖区内）")] = None,
    overdue: Annotated[bool, Query(description="只看曾超过办理时限的")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
) -> CasePage:
    wanted = CaseFilter(
        application_number=application_number or None,
        stage=stage,
        assistance_type=assistance_type,
        region_code=region_code or None,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    return await search.search(actor, wanted)


@router.post(
    "/search",
    response_model=CasePage,
    summary="按申请人身份证号查找本辖区案件（号码放在请求体中，不进入地址；受理、调查、审核、审批人员；记入审计日志）",
    responses={
        403: {"description": "岗位无权按身份证号查找"},
        422: {"description": "身份证号无效"},
    },
)
async def search_by_id_number(
    audit: Annotated[AuditScope, Depends(audited("application.search_by_id", "application"))],
    body: IdSearchIn,
    actor: CurrentStaff,
    search: CaseSearchDep,
) -> CasePage:
    found = await search.by_id_number(actor, body.id_number)
    await audit.ok(found=found.total)  # never the number searched for
    return found


@router.get(
    "/publicity",
    response_model=list[PublicityNoticeOut],
    summary="本乡镇（街道）正在公示的案件（脱敏，供张贴公示；乡镇审核人员、乡镇负责人、监督人员）",
    responses={403: {"description": "岗位无权查看公示名单"}},
)
async def publicity_notice(actor: CurrentStaff, search: CaseSearchDep) -> list[PublicityNoticeOut]:
    return await search.publicity(actor)


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
    "/{application_number}/personal-data",
    response_model=PersonalDataOut,
    summary="查看申请人及家庭成员的完整个人信息（未脱敏；受理、调查、审核、审批人员；每次查看均记入审计日志）",
    responses={
        403: {"description": "岗位无权查看完整个人信息，或不在管辖范围内"},
        404: {"description": "申请不存在"},
    },
)
async def get_personal_data(
    audit: Annotated[AuditScope, Depends(audited("personal_data.read", "application", "application_number"))],
    application_number: Number,
    service: CaseServiceDep,
    actor: CurrentStaff,
    response: Response,
) -> PersonalDataOut:
    record = await service.personal_data(application_number, actor)
    # The one place a full personal record leaves the system: recorded before it is returned, and
    # if the audit log cannot take the entry the record is not returned (503).
    await audit.ok(required=True, members=len(record.members))
    response.headers["Cache-Control"] = "no-store"
    return record


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
    audit: Annotated[
        AuditScope, Depends(audited("application.objection", "application", "application_number"))
    ],
    application_number: Number,
    body: ObjectionIn,
    service: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(*CASE_ACTION_ROLES[CaseAction.OBJECTION]))],
    key: IdempotencyKey,
) -> ApplicationOut:
    result = await service.file_objection(application_number, body.summary, actor, key)
    await audit.ok(stage=result.stage.value)  # the summary is free text: it stays in the case's timeline
    return result


@router.post(
    "/{application_number}/withdraw",
    response_model=ApplicationOut,
    summary="申请人撤回申请（受理窗口或乡镇审核人员登记）",
    responses=_ACTION_ERRORS,
)
async def withdraw(
    audit: Annotated[
        AuditScope, Depends(audited("application.withdraw", "application", "application_number"))
    ],
    application_number: Number,
    body: WithdrawIn,
    service: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(*CASE_ACTION_ROLES[CaseAction.WITHDRAW]))],
    key: IdempotencyKey,
) -> ApplicationOut:
    result = await service.withdraw(application_number, body.reason, actor, key)
    await audit.ok(stage=result.stage.value)
    return result


@router.post(
    "/{application_number}/extend",
    response_model=ApplicationOut,
    summary="延长全流程办结时限至45个工作日（县级审批人员，限一次）",
    responses=_ACTION_ERRORS,
)
async def extend_deadline(
    audit: Annotated[AuditScope, Depends(audited("application.extend", "application", "application_number"))],
    application_number: Number,
    body: ExtendIn,
    service: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(*CASE_ACTION_ROLES[CaseAction.EXTEND]))],
    key: IdempotencyKey,
) -> ApplicationOut:
    result = await service.extend(application_number, body.reason, actor, key)
    await audit.ok(stage=result.stage.value)
    return result


@router.put(
    "/{application_number}/account",
    response_model=AccountOut,
    summary="登记或更正一次性救助（临时救助一次或分次发放）的发放账户（财务、乡镇审核人员）",
    responses={
        403: {"description": "角色不符（forbidden）"},
        404: {"description": "申请不存在或不在管辖范围内（application_not_found）"},
        409: {"description": "该案件没有需经银行发放的一次性救助（no_bank_order）"},
        422: {"description": "银行卡号无效（invalid_account）或内容有误"},
    },
)
async def put_account(
    audit: Annotated[
        AuditScope, Depends(audited("application.account", "application", "application_number"))
    ],
    application_number: Number,
    body: AccountIn,
    sessions: SessionsDep,
    pii: PiiDep,
    actor: Annotated[Actor, Depends(require_roles(Role.FINANCE_OFFICER, Role.TOWNSHIP_REVIEWER))],
    _key: IdempotencyKey,  # checked only: the account is replaced as a whole
) -> AccountOut:
    account = await put_case_account(sessions, pii, application_number, actor, body)
    await audit.ok()  # never the account number, nor the holder's name
    return account


@router.put(
    "/{application_number}/payment-sms",
    response_model=ApplicantSmsOut,
    summary="登记该户是否接收救助金到账短信（受理窗口、乡镇审核人员）",
    responses=_READ_ERRORS,
)
async def put_payment_sms(
    audit: Annotated[
        AuditScope, Depends(audited("application.payment_sms", "application", "application_number"))
    ],
    application_number: Number,
    body: PaymentSmsIn,
    sessions: SessionsDep,
    cases: CaseServiceDep,
    actor: Annotated[Actor, Depends(require_roles(*PAYMENT_SMS_ROLES))],
    _key: IdempotencyKey,  # checked only: the choice is replaced as a whole
) -> ApplicantSmsOut:
    opt_out = await ApplicantSmsService(sessions, cases).set_payment_opt_out(
        application_number, body.opt_out, actor
    )
    await audit.ok(opt_out=opt_out)
    return ApplicantSmsOut(application_number=application_number, payment_sms_opt_out=opt_out)


@router.get(
    "/{application_number}/sms",
    response_model=ApplicantSmsOut,
    summary="本案发给申请人的短信及送达状态",
    responses=_READ_ERRORS,
)
async def get_sms(
    application_number: Number, sessions: SessionsDep, cases: CaseServiceDep, actor: CurrentStaff
) -> ApplicantSmsOut:
    opt_out, rows = await ApplicantSmsService(sessions, cases).messages(application_number, actor)
    return ApplicantSmsOut(
        application_number=application_number,
        payment_sms_opt_out=opt_out,
        messages=[
            SmsOut(
                message_id=r.message_id,
                template=r.template,
                text=r.text,
                status=r.status,
                detail=r.detail,
                created_at=r.created_at,
            )
            for r in rows
        ],
    )
