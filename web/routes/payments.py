"""资金发放: a county's payroll runs with their bank batches and totals (finance officer; the county
approver and the supervisor read them), starting a month's run, the failed-payment queue with its
retry, and the monthly disclosure (按月公开) with its CSV download. Every read and act is a call of
services.payments.PaymentService / services.disclosure.DisclosureService, the ones the JSON API
calls (the same role tuples, the same one-run-per-county-month, the same CSV writer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from api.deps import AuditDep
from api.routes.payments import Disclosures, Payments
from api.schemas.codes import CountyCode, FilterCode, Month, OrderKey
from api.schemas.payments import OrderOut
from domain.bank import FAILURE_LABELS
from domain.payroll import NO_ACCOUNT, NO_ACCOUNT_LABEL, ORDER_STATUS_LABELS
from domain.staff import Actor
from services.audit import Target
from services.errors import ApiError
from services.payments import PAYROLL_STARTERS, QUEUE_KEEPERS, RUN_READERS, QueueFilter
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute, require_page_roles
from web.routes.beneficiaries import errors_by_field
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

RunReader = Annotated[Actor, Depends(require_page_roles(*RUN_READERS))]
Starter = Annotated[Actor, Depends(require_page_roles(*PAYROLL_STARTERS))]
QueueKeeper = Annotated[Actor, Depends(require_page_roles(*QUEUE_KEEPERS))]
PAGE_SIZE = 20
RUN_LABELS = {"frozen": "名单已冻结", "running": "发放中", "completed": "已完成"}
BATCH_LABELS = {"processing": "银行处理中", "completed": "已完成", "rejected": "银行退回整批"}


class MonthQuery(BaseModel):
    """A month (and county) typed into a filter, typed as the API types them ("" is "none")."""

    model_config = ConfigDict(extra="ignore")
    month: Month | None = None
    county: CountyCode | None = None
    reason: FilterCode | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def subnav(actor: Actor) -> list[tuple[str, str]]:
    """The finance pages' own links, by the same role tuples as the routes' guards."""
    links = [("/staff/payments", "发放批次")] if actor.role in RUN_READERS else []
    if actor.role in QUEUE_KEEPERS:
        links.append(("/staff/payments/failed", "发放失败待处理"))
    return [*links, ("/staff/payments/disclosure", "按月公开")]


def own_county(actor: Actor) -> str:
    return actor.region_code[:6]


def _query(request: Request) -> tuple[MonthQuery, dict[str, str]]:
    raw = {k: v for k, v in request.query_params.items() if k in MonthQuery.model_fields}
    try:
        return MonthQuery.model_validate(raw), {}
    except ValidationError as invalid:
        return MonthQuery(), errors_by_field(invalid)


async def _runs_page(
    request: Request, actor: Actor, payments: Payments, *, errors: dict[str, str] | None = None,
    month_value: str = "", status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    wanted, query_errors = _query(request)
    county = wanted.county or own_county(actor)
    runs = await payments.runs(actor, county, wanted.month)
    return render(
        request,
        "payments/runs.html",
        {
            "title": "资金发放",
            "county": county,
            "runs": runs,
            "month": wanted.month or "",
            "errors": {**query_errors, **(errors or {})},
            "month_value": month_value,
            "subnav": subnav(actor),
            "can_start": actor.role in PAYROLL_STARTERS,
            "can_queue": actor.role in QUEUE_KEEPERS,
            "run_labels": RUN_LABELS,
            "status_labels": {s.value: label for s, label in ORDER_STATUS_LABELS.items()},
        },
        status_code=status_code,
    )


@router.get("/payments", response_class=HTMLResponse, include_in_schema=False)
async def runs_page(request: Request, actor: RunReader, payments: Payments) -> HTMLResponse:
    return await _runs_page(request, actor, payments)


@router.post("/payments/runs", include_in_schema=False)
async def start_run(
    request: Request,
    actor: Starter,
    payments: Payments,
    trail: AuditDep,
    month: Annotated[str, Form(max_length=16)] = "",
    county_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    county = county_code or own_county(actor)
    target = Target("payroll_run", f"{county}:{month}"[:64], region_code=county[:12])
    try:
        wanted = MonthQuery.model_validate({"month": month, "county": county})
        if wanted.month is None:
            raise ApiError(422, "validation_error", "请填写发放月份", errors=[
                {"field": "month", "type": "missing", "message": "请填写发放月份（YYYY-MM）"}
            ])  # fmt: skip
        # One payroll workflow per county-month (the service starts it or joins the running one):
        # a double click or a resubmission starts one run.
        started = await payments.start_run(actor, wanted.county or county, wanted.month)
    except (ValidationError, ApiError) as refusal:
        status = refusal.status_code if isinstance(refusal, ApiError) else 422
        code = refusal.code if isinstance(refusal, ApiError) else "validation_error"
        await trail.record(actor, "payroll.start", target, status_code=status, detail={"code": code})
        if status != 422:
            raise
        errors = errors_by_field(refusal)
        if isinstance(refusal, ApiError) and not errors:
            errors = {"month": refusal.message}  # month_in_future: about the month typed
        errors = {("month" if k in ("county", "_form") else k): v for k, v in errors.items()}
        return await _runs_page(request, actor, payments, errors=errors, month_value=month, status_code=422)
    await trail.record(actor, "payroll.start", target, status_code=202, detail={"month": started.month})
    return RedirectResponse(
        f"/staff/payments/runs/{started.county_code}/{started.month}?started=1", status_code=303
    )


@router.get("/payments/runs/{county_code}/{month}", response_class=HTMLResponse, include_in_schema=False)
async def run_page(
    request: Request,
    county_code: Annotated[CountyCode, Path()],
    month: Annotated[Month, Path()],
    actor: RunReader,
    payments: Payments,
    started: Annotated[str | None, Query(max_length=1)] = None,
) -> HTMLResponse:
    runs = await payments.runs(actor, county_code, month)  # another county: the 403 page
    return render(
        request,
        "payments/run.html",
        {
            "title": f"{month} 发放批次",
            "county": county_code,
            "month": month,
            "run": runs[0] if runs else None,
            "started": bool(started),
            "run_labels": RUN_LABELS,
            "batch_labels": BATCH_LABELS,
            "status_labels": {s.value: label for s, label in ORDER_STATUS_LABELS.items()},
        },
    )


@router.get("/payments/failed", response_class=HTMLResponse, include_in_schema=False)
async def failed_queue(
    request: Request,
    actor: QueueKeeper,
    payments: Payments,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    retried: Annotated[OrderKey | None, Query()] = None,
) -> HTMLResponse:
    retried_order = await payments.order(retried, actor) if retried else None
    return await _queue_page(request, actor, payments, page, retried_order, None)


async def _queue_page(
    request: Request, actor: Actor, payments: Payments, page: int, retried_order: OrderOut | None,
    refusal: ApiError | None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    wanted, errors = _query(request)
    found = await payments.queue(
        actor, QueueFilter(wanted.month, wanted.reason, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    )
    filters = {k: v for k, v in (("month", wanted.month), ("reason", wanted.reason)) if v}
    return render(
        request,
        "payments/failed.html",
        {
            "title": "发放失败待处理",
            "found": found,
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "filters": filters,
            "errors": errors,
            "retried": retried_order,
            "refusal": refusal,
            "subnav": subnav(actor),
            "reasons": [(NO_ACCOUNT, NO_ACCOUNT_LABEL)]
            + [(r.value, label) for r, label in FAILURE_LABELS.items()],
        },
        status_code=status_code,
    )


@router.post("/payments/failed/{order_key}/retry", include_in_schema=False)
async def retry(
    request: Request,
    order_key: Annotated[OrderKey, Path()],
    actor: QueueKeeper,
    payments: Payments,
    trail: AuditDep,
) -> Response:
    target = Target("payment_order", order_key[:64])
    try:
        # A conditional update in the service: one retry however many clicks arrive.
        order = await payments.retry(order_key, actor)
    except ApiError as refusal:
        await trail.record(actor, "payment.retry", target, status_code=refusal.status_code,
                           detail={"code": refusal.code})  # fmt: skip
        if refusal.status_code != 409:
            raise
        # Retried already (a second click, a colleague) or no account yet: say so beside the order's
        # current state. htmx swaps only a 2xx answer, so the row it replaces carries the message.
        order = await payments.order(order_key, actor)
        if "hx-request" in request.headers:
            return render(request, "payments/_retried_row.html", {"order": order, "refusal": refusal})
        return await _queue_page(request, actor, payments, 1, order, refusal, status_code=409)
    target.application_number, target.region_code = order.application_number, order.township_code
    await trail.record(actor, "payment.retry", target, detail={"status": order.status.value})
    if "hx-request" in request.headers:
        return render(request, "payments/_retried_row.html", {"order": order, "refusal": None})
    return RedirectResponse(f"/staff/payments/failed?retried={order.order_key}", status_code=303)


@router.get("/payments/disclosure", response_class=HTMLResponse, include_in_schema=False)
async def disclosure_page(request: Request, actor: PageActor, disclosures: Disclosures) -> HTMLResponse:
    wanted, errors = _query(request)
    county = wanted.county or own_county(actor)
    out = await disclosures.month(actor, county, wanted.month) if wanted.month else None
    return render(
        request,
        "payments/disclosure.html",
        {
            "title": "按月公开",
            "county": county,
            "month": wanted.month or "",
            "out": out,
            "errors": errors,
            "subnav": subnav(actor),
        },
    )


@router.get("/payments/disclosure.csv", include_in_schema=False)
async def disclosure_csv(
    actor: PageActor,
    disclosures: Disclosures,
    month: Annotated[Month, Query()],
    county: Annotated[CountyCode | None, Query()] = None,
) -> Response:
    out = await disclosures.month(actor, county or own_county(actor), month)
    return Response(
        disclosures.csv_document(out),  # the API's CSV: same header, same formula-injection guard
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{disclosures.csv_filename(out)}"'},
    )
