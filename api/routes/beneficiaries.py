"""/api/v1/beneficiaries — enrolled households (救助对象) after approval: dynamic management
(变化报告、骗取停发), the payee account, recovery (追回); /api/v1/credit-records — the credit file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.audit_scope import AuditScope, audited
from api.deps import PiiDep, SessionsDep, TemporalDep, require_roles
from api.idempotency import IdempotencyKey
from api.params import Offset
from api.schemas.beneficiaries import (
    AccountIn,
    AccountOut,
    BeneficiaryDetail,
    BeneficiaryPage,
    CreditRecordOut,
    FraudFindingIn,
    RecoveryOut,
    RecoveryPaymentIn,
)
from api.schemas.codes import Month, NumberLookup, RegionCode
from domain.beneficiary import BeneficiaryStatus, ChangeReport, LifecycleView
from domain.enums import AssistanceType
from domain.forms import Category
from domain.staff import Actor, Role
from services.beneficiaries import (
    ACCOUNT_KEEPERS,
    CHANGE_REPORTERS,
    CREDIT_READERS,
    FRAUD_DECIDERS,
    RECOVERY_READERS,
    RECOVERY_RECORDERS,
    BeneficiaryFilter,
    BeneficiaryService,
)

router = APIRouter(tags=["救助对象"])
BASE = "/api/v1/beneficiaries"

Number = Annotated[NumberLookup, Path()]
AnyStaff = Annotated[Actor, Depends(require_roles(*Role))]
Reporter = Annotated[Actor, Depends(require_roles(*CHANGE_REPORTERS))]
Approver = Annotated[Actor, Depends(require_roles(*FRAUD_DECIDERS))]
AccountKeeper = Annotated[Actor, Depends(require_roles(*ACCOUNT_KEEPERS))]
RecoveryReader = Annotated[Actor, Depends(require_roles(*RECOVERY_READERS))]
Finance = Annotated[Actor, Depends(require_roles(*RECOVERY_RECORDERS))]
CreditReader = Annotated[Actor, Depends(require_roles(*CREDIT_READERS))]


def beneficiary_service(sessions: SessionsDep, client: TemporalDep, pii: PiiDep) -> BeneficiaryService:
    return BeneficiaryService(sessions, client, pii)


Service = Annotated[BeneficiaryService, Depends(beneficiary_service)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "角色不符（forbidden）"},
    404: {"description": "救助对象不存在或不在管辖范围内（beneficiary_not_found）"},
    409: {"description": "救助对象已退出或已停发（beneficiary_ended、already_stopped）"},
    422: {"description": "提交的数据有误"},
}


@router.get(BASE, response_model=BeneficiaryPage, summary="救助对象名册（本辖区）")
async def list_beneficiaries(
    actor: AnyStaff,
    service: Service,
    status: Annotated[BeneficiaryStatus | None, Query()] = None,
    region_code: Annotated[RegionCode | None, Query(description="县、乡镇或村社区编码")] = None,
    payable_month: Annotated[Month | None, Query(description="该月应发放的对象")] = None,
    category: Annotated[Category | None, Query(description="分类管理类别（A/B/C）")] = None,
    assistance_type: Annotated[AssistanceType | None, Query(description="救助类别")] = None,
    review_due_by: Annotated[Month | None, Query(description="复核月份在该月或之前（到期复核）")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> BeneficiaryPage:
    wanted = BeneficiaryFilter(
        status.value if status else None, region_code, payable_month, limit, offset, category=category,
        assistance_type=assistance_type.value if assistance_type else None, review_due_by=review_due_by,
    )  # fmt: skip
    return await service.search(actor, wanted)


@router.get(
    BASE + "/{number}",
    response_model=BeneficiaryDetail,
    summary="救助对象详情、动态管理时间线",
    responses=_ERRORS,
)
async def get_beneficiary(number: Number, actor: AnyStaff, service: Service) -> BeneficiaryDetail:
    return await service.view(number, actor)


@router.post(
    BASE + "/{number}/changes", response_model=LifecycleView, summary="报告家庭情况变化", responses=_ERRORS
)
async def report_change(
    audit: Annotated[AuditScope, Depends(audited("beneficiary.change", "application", "number"))],
    number: Number, body: ChangeReport, actor: Reporter, service: Service, key: IdempotencyKey,
) -> LifecycleView:  # fmt: skip
    audit.detail["kind"] = body.kind.value
    view = await service.report_change(number, actor, body, key)
    await audit.ok()
    return view


@router.post(
    BASE + "/{number}/fraud",
    response_model=LifecycleView,
    summary="认定骗取救助：停发、追回",
    responses=_ERRORS,
)
async def report_fraud(
    audit: Annotated[AuditScope, Depends(audited("beneficiary.fraud", "application", "number"))],
    number: Number, body: FraudFindingIn, actor: Approver, service: Service, key: IdempotencyKey,
) -> LifecycleView:  # fmt: skip
    audit.detail["since_month"] = body.since_month
    view = await service.report_fraud(number, actor, body.finding(), key)
    await audit.ok()
    return view


@router.put(
    BASE + "/{number}/account", response_model=AccountOut, summary="登记或更正发放账户", responses=_ERRORS
)
async def put_account(
    audit: Annotated[AuditScope, Depends(audited("beneficiary.account", "application", "number"))],
    number: Number, body: AccountIn, actor: AccountKeeper, service: Service, _key: IdempotencyKey,
) -> AccountOut:  # fmt: skip
    account = await service.put_account(number, actor, body)
    await audit.ok()
    return account


@router.get(BASE + "/{number}/recovery", response_model=RecoveryOut, summary="追回款项", responses=_ERRORS)
async def get_recovery(number: Number, actor: RecoveryReader, service: Service) -> RecoveryOut:
    return await service.recovery(number, actor)


@router.post(
    BASE + "/{number}/recovery/payments", response_model=RecoveryOut, summary="登记追回款到账（按凭证号幂等）",
    responses=_ERRORS,
)  # fmt: skip
async def record_repayment(
    audit: Annotated[AuditScope, Depends(audited("beneficiary.recovery_payment", "application", "number"))],
    number: Number, body: RecoveryPaymentIn, actor: Finance, service: Service, _key: IdempotencyKey,
) -> RecoveryOut:  # fmt: skip
    audit.detail["reference"] = body.reference
    recovery = await service.record_repayment(number, actor, body)
    await audit.ok(status=recovery.status)
    return recovery


@router.get("/api/v1/credit-records", response_model=list[CreditRecordOut], summary="信用档案（本辖区）")
async def credit_records(
    actor: CreditReader,
    service: Service,
    kind: Annotated[str | None, Query(pattern=r"^(fraud|integrity)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[CreditRecordOut]:
    return await service.credit_records(actor, kind, limit, offset)
