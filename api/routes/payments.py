"""/api/v1/payments, /api/v1/payroll — the finance queue (发放失败待处理), retries, in-kind delivery and
the monthly payroll runs. /api/v1/disclosures — the monthly public disclosure (按月公开)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.audit_scope import AuditScope, audited
from api.deps import PayrollClockDep, SessionsDep, SettingsDep, TemporalDep, require_roles
from api.idempotency import IdempotencyKey
from api.params import Offset
from api.responses import CSV_OK
from api.schemas.codes import CountyCode, FilterCode, Month, OrderKey
from api.schemas.payments import (
    DeliveredIn,
    DisclosureOut,
    FailedOrderPage,
    OrderOut,
    PayrollRunOut,
    RunStarted,
    StartRunIn,
)
from domain.staff import Actor, Role
from services.disclosure import DisclosureService
from services.payments import RUN_READERS, PaymentService, QueueFilter

router = APIRouter(tags=["发放"])

Finance = Annotated[Actor, Depends(require_roles(Role.FINANCE_OFFICER))]
Deliverer = Annotated[Actor, Depends(require_roles(Role.FINANCE_OFFICER, Role.TOWNSHIP_REVIEWER))]
AnyStaff = Annotated[Actor, Depends(require_roles(*Role))]
RunReader = Annotated[Actor, Depends(require_roles(*RUN_READERS))]
OrderKeyPath = Annotated[OrderKey, Path()]


def payment_service(
    sessions: SessionsDep, client: TemporalDep, settings: SettingsDep, clock: PayrollClockDep
) -> PaymentService:
    return PaymentService(sessions, client, settings.temporal_task_queue, clock)


def disclosure_service(sessions: SessionsDep) -> DisclosureService:
    return DisclosureService(sessions)


Payments = Annotated[PaymentService, Depends(payment_service)]
Disclosures = Annotated[DisclosureService, Depends(disclosure_service)]

_ORDER_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "角色不符（forbidden）"},
    404: {"description": "发放指令不存在或不在管辖范围内（order_not_found）"},
    409: {"description": "指令状态不允许此操作（order_not_failed、no_account、not_in_kind、order_not_open）"},
}


@router.get("/api/v1/payments/queue", response_model=FailedOrderPage, summary="发放失败待处理队列（财务）")
async def failed_queue(
    actor: Finance,
    service: Payments,
    month: Annotated[Month | None, Query(description="发放月份 YYYY-MM")] = None,
    reason: Annotated[FilterCode | None, Query(description="失败原因代码")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> FailedOrderPage:
    return await service.queue(actor, QueueFilter(month, reason, limit, offset))


@router.post(
    "/api/v1/payments/{order_key}/retry", response_model=OrderOut, summary="重新发放（财务核实更正后）",
    responses=_ORDER_ERRORS,
)  # fmt: skip
async def retry_order(
    audit: Annotated[AuditScope, Depends(audited("payment.retry", "payment_order", "order_key"))],
    order_key: OrderKeyPath,
    actor: Finance,
    service: Payments,
    _key: IdempotencyKey,  # checked only: the order is retried once, by its order key
) -> OrderOut:
    order = await service.retry(order_key, actor)
    audit.target.application_number, audit.target.region_code = order.application_number, order.township_code
    await audit.ok(status=order.status.value)
    return order


@router.post(
    "/api/v1/payments/{order_key}/delivered", response_model=OrderOut, summary="登记实物已发放",
    responses=_ORDER_ERRORS,
)  # fmt: skip
async def mark_delivered(
    audit: Annotated[AuditScope, Depends(audited("payment.delivered", "payment_order", "order_key"))],
    order_key: OrderKeyPath,
    body: DeliveredIn,
    actor: Deliverer,
    service: Payments,
    _key: IdempotencyKey,  # checked only: a second marking returns the recorded delivery
) -> OrderOut:
    order = await service.delivered(order_key, actor, body)
    audit.target.application_number, audit.target.region_code = order.application_number, order.township_code
    await audit.ok(status=order.status.value)
    return order


@router.post(
    "/api/v1/payroll/runs", response_model=RunStarted, status_code=202, summary="启动某县某月的发放",
    responses={
        403: {"description": "角色不符或非本县（forbidden）"},
        422: {"description": "月份晚于当前北京时间所在月份（month_in_future）"},
        503: {"description": "流程服务不可用"},
    },
)  # fmt: skip
async def start_run(
    audit: Annotated[AuditScope, Depends(audited("payroll.start", "payroll_run"))],
    body: StartRunIn,
    actor: Finance,
    service: Payments,
    _key: IdempotencyKey,  # checked only: a county's month is one payroll workflow
) -> RunStarted:
    audit.target.id, audit.target.region_code = f"{body.county_code}:{body.month}", body.county_code
    started = await service.start_run(actor, body.county_code, body.month)
    await audit.ok(202, month=body.month)
    return started


@router.get("/api/v1/payroll/runs", response_model=list[PayrollRunOut], summary="发放批次及银行文件")
async def list_runs(
    actor: RunReader,
    service: Payments,
    county: Annotated[CountyCode | None, Query(description="县（区）编码，默认本县")] = None,
    month: Annotated[Month | None, Query()] = None,
) -> list[PayrollRunOut]:
    return await service.runs(actor, county, month)


@router.get(
    "/api/v1/disclosures/{county_code}/{month}.csv",
    summary="按月公开导出（CSV，UTF-8 带 BOM，可直接用 Excel 打开）",
    responses=CSV_OK,
)
async def disclosure_csv(
    county_code: Annotated[CountyCode, Path()],
    month: Annotated[Month, Path()],
    actor: AnyStaff,
    service: Disclosures,
) -> Response:
    out = await service.month(actor, county_code, month)
    return Response(
        service.csv_document(out),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{service.csv_filename(out)}"'},
    )


# After the .csv route: `{month}` would otherwise also match "2026-12.csv" and refuse it (422).
@router.get(
    "/api/v1/disclosures/{county_code}/{month}", response_model=DisclosureOut,
    summary="按月公开：本县某月发放名单（姓名、身份证号脱敏）",
)  # fmt: skip
async def disclosure(
    county_code: Annotated[CountyCode, Path()],
    month: Annotated[Month, Path()],
    actor: AnyStaff,
    service: Disclosures,
) -> DisclosureOut:
    return await service.month(actor, county_code, month)
