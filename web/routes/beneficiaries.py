"""救助对象: the roster of enrolled households with the API's filters, and a household's page —
its lifecycle timeline, re-review due, the change report (情况变化报告), the county approver's
fraud stop (骗保停发, confirmed twice: irreversible), the payee account (masked; corrected through
the same service as PUT …/account) and the recovery if any. Every read and act is a call of
services.beneficiaries.BeneficiaryService, the one the JSON API calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from api.deps import AuditDep
from api.routes.beneficiaries import Service
from api.schemas.beneficiaries import AccountIn, FraudFindingIn
from api.schemas.codes import Month, NumberLookup, RegionCode
from domain.beneficiary import CHANGE_KIND_LABELS, STATUS_LABELS, BeneficiaryStatus, ChangeReport
from domain.enums import ASSISTANCE_TYPE_LABELS, AssistanceType
from domain.forms import Category
from domain.messages import field_errors
from domain.staff import Actor
from domain.tasks import TASK_LABELS
from services.audit import Target
from services.beneficiaries import (
    ACCOUNT_KEEPERS,
    CHANGE_REPORTERS,
    FRAUD_DECIDERS,
    BeneficiaryFilter,
    HouseholdActions,
    review_due,
)
from services.disclosure import type_label
from services.errors import ApiError
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute, require_page_roles
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

# The same role tuples as the API's route guards: a forged post by another role gets the 403 page.
Reporter = Annotated[Actor, Depends(require_page_roles(*CHANGE_REPORTERS))]
Approver = Annotated[Actor, Depends(require_page_roles(*FRAUD_DECIDERS))]
AccountKeeper = Annotated[Actor, Depends(require_page_roles(*ACCOUNT_KEEPERS))]
PAGE_SIZE = 20
CONFIRM_MESSAGE = "请勾选“我已核对，确认提交”后再提交"


class RosterQuery(BaseModel):
    """The roster's filters as the API's query parameters type them ("" from a select is "all")."""

    model_config = ConfigDict(extra="ignore")
    status: BeneficiaryStatus | None = None
    assistance_type: AssistanceType | None = None
    region_code: RegionCode | None = None
    category: Category | None = None
    review_due_by: Month | None = None
    payable_month: Month | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def errors_by_field(refusal: ApiError | ValidationError) -> dict[str, str]:
    items = field_errors(refusal) if isinstance(refusal, ValidationError) else refusal.extra.get("errors", [])
    found: dict[str, str] = {}
    for e in items:
        found.setdefault(str(e["field"]).split(".")[-1] or "_form", e["message"])
    return found


def form_errors(refusal: ApiError | ValidationError) -> dict[str, str]:
    """Beside their fields; a refusal naming no field above the form."""
    found = errors_by_field(refusal)
    if not found and isinstance(refusal, ApiError):
        found = {"_form": refusal.message}
    return found


@router.get("/beneficiaries", response_class=HTMLResponse, include_in_schema=False)
async def roster(
    request: Request,
    actor: PageActor,
    service: Service,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    raw = {k: v for k, v in request.query_params.items() if k in RosterQuery.model_fields}
    errors: dict[str, str] = {}
    try:
        wanted = RosterQuery.model_validate(raw)
    except ValidationError as invalid:
        errors, wanted = errors_by_field(invalid), RosterQuery()
    found = await service.search(
        actor,
        BeneficiaryFilter(
            status=wanted.status.value if wanted.status else None,
            region_code=wanted.region_code,
            payable_month=wanted.payable_month,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            category=wanted.category,
            assistance_type=wanted.assistance_type.value if wanted.assistance_type else None,
            review_due_by=wanted.review_due_by,
        ),
    )
    now = datetime.now(UTC)
    kept = {k: v for k, v in raw.items() if v and k not in errors}
    return render(
        request,
        "beneficiaries/roster.html",
        {
            "title": "救助对象名册",
            "found": found,
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "filters": kept,
            "errors": errors,
            "due": {b.application_number: review_due(b.next_review_month, now) for b in found.items},
            "status_labels": STATUS_LABELS,
            "type_labels": ASSISTANCE_TYPE_LABELS,
            "status_options": [(s.value, label) for s, label in STATUS_LABELS.items()],
            "type_options": [(t.value, label) for t, label in ASSISTANCE_TYPE_LABELS.items()],
        },
    )


async def _household_page(
    request: Request,
    actor: Actor,
    service: Service,
    number: str,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    done: str | None = None,
    conflict: ApiError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    detail = await service.view(number, actor)
    actions = HouseholdActions.of(actor)
    recovery = None
    if actions.read_recovery:
        try:
            recovery = await service.recovery(number, actor)
        except ApiError as missing:
            if missing.code != "recovery_not_found":
                raise
    b = detail.beneficiary
    status = detail.lifecycle.status if detail.lifecycle else b.status
    next_review = detail.lifecycle.next_review_month if detail.lifecycle else b.next_review_month
    ended = status in (BeneficiaryStatus.STOPPED, BeneficiaryStatus.EXITED)
    return render(
        request,
        "beneficiaries/household.html",
        {
            "title": f"救助对象 {b.application_number}",
            "detail": detail,
            "b": b,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "type_label": type_label(b.assistance_type),
            "next_review": next_review,
            "review_is_due": review_due(next_review, datetime.now(UTC)),
            "actions": actions,
            "ended": ended,
            "recovery": recovery,
            "errors": errors or {},
            "values": values or {},
            "done": done,
            "conflict": conflict,
            "change_labels": CHANGE_KIND_LABELS,
            "task_labels": TASK_LABELS,
            "form_key": uuid.uuid4().hex,
        },
        status_code=status_code,
    )


@router.get("/beneficiaries/{number}", response_class=HTMLResponse, include_in_schema=False)
async def household(
    request: Request,
    number: NumberLookup,
    actor: PageActor,
    service: Service,
    done: Annotated[str | None, Query(pattern=r"^(change|fraud|account)$")] = None,
) -> HTMLResponse:
    return await _household_page(request, actor, service, number, done=done)


async def _refused(
    request: Request, actor: Actor, service: Service, trail: AuditDep, number: str, form: str,
    refusal: ApiError | ValidationError, values: dict[str, Any],
) -> HTMLResponse:  # fmt: skip
    """A refused form, audited under the API's action name: 422 → the page again with the messages
    beside the fields and the values typed; 409 → the page as it now stands, saying why (e.g. already
    stopped) with a refresh link; anything else (403, 404) → the error page."""
    status = refusal.status_code if isinstance(refusal, ApiError) else 422
    code = refusal.code if isinstance(refusal, ApiError) else "validation_error"
    await trail.record(
        actor, f"beneficiary.{form}", Target.application(number), status_code=status, detail={"code": code}
    )
    if status == 409 and isinstance(refusal, ApiError):
        return await _household_page(request, actor, service, number, conflict=refusal, status_code=409)
    if status != 422:
        raise refusal
    return await _household_page(
        request, actor, service, number, errors={form: form_errors(refusal)}, values={form: values},
        status_code=422,
    )  # fmt: skip


def _back(number: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/beneficiaries/{number}?done={done}", status_code=303)


@router.post("/beneficiaries/{number}/changes", include_in_schema=False)
async def report_change(
    request: Request,
    number: NumberLookup,
    actor: Reporter,
    service: Service,
    trail: AuditDep,
    kind: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    occurred_on: Annotated[str, Form(max_length=32)] = "",
    self_reported: Annotated[str, Form(max_length=8)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    values = {
        "kind": kind,
        "description": description,
        "occurred_on": occurred_on,
        "self_reported": self_reported,
    }
    target = Target.application(number)
    try:
        report = ChangeReport.model_validate(
            {
                "kind": kind,
                "description": description,
                "occurred_on": occurred_on,
                "self_reported": bool(self_reported),
            }
        )
        await service.report_change(number, actor, report, form_key or None)
    except (ValidationError, ApiError) as refusal:
        return await _refused(request, actor, service, trail, number, "change", refusal, values)
    await trail.record(actor, "beneficiary.change", target, detail={"kind": report.kind.value})
    return _back(number, "change")


@router.post("/beneficiaries/{number}/fraud", include_in_schema=False)
async def report_fraud(
    request: Request,
    number: NumberLookup,
    actor: Approver,
    service: Service,
    trail: AuditDep,
    findings: Annotated[str, Form(max_length=4000)] = "",
    since_month: Annotated[str, Form(max_length=16)] = "",
    policy_basis: Annotated[str, Form(max_length=4000)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    values = {"findings": findings, "since_month": since_month, "policy_basis": policy_basis}
    target = Target.application(number)
    errors: dict[str, str] = {}
    try:
        finding = FraudFindingIn.model_validate(values).finding()
    except ValidationError as invalid:
        errors = errors_by_field(invalid)
    if not confirm:
        errors["confirm"] = CONFIRM_MESSAGE
    if errors:
        await trail.record(
            actor, "beneficiary.fraud", target, status_code=422, detail={"code": "validation_error"}
        )
        return await _household_page(
            request,
            actor,
            service,
            number,
            errors={"fraud": errors},
            values={"fraud": values},
            status_code=422,
        )
    try:
        await service.report_fraud(number, actor, finding, form_key or None)
    except ApiError as refusal:
        return await _refused(request, actor, service, trail, number, "fraud", refusal, values)
    await trail.record(actor, "beneficiary.fraud", target, detail={"since_month": finding.since_month})
    return _back(number, "fraud")


@router.post("/beneficiaries/{number}/account", include_in_schema=False)
async def put_account(
    request: Request,
    number: NumberLookup,
    actor: AccountKeeper,
    service: Service,
    trail: AuditDep,
    account_number: Annotated[str, Form(max_length=64)] = "",
    account_holder: Annotated[str, Form(max_length=128)] = "",
    bank_name: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    # The number typed is never echoed back into the page (nor logged): only holder and bank are kept.
    values = {"account_holder": account_holder, "bank_name": bank_name}
    target = Target.application(number)
    try:
        body = AccountIn.model_validate(
            {"account_number": account_number, "account_holder": account_holder, "bank_name": bank_name}
        )
        await service.put_account(number, actor, body)
    except (ValidationError, ApiError) as refusal:
        return await _refused(request, actor, service, trail, number, "account", refusal, values)
    await trail.record(actor, "beneficiary.account", target)
    return _back(number, "account")
