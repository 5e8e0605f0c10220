"""案件: case search (/staff/cases) and the case page (/staff/cases/{number}) with its actions
(异议, 撤回, 延期) and 查看完整信息 — all through the service layer the JSON API calls
(services/case_search.py, services/case_file.py, services/case_view.py).

The search is a GET form of codes only (number, stage, type, region, overdue): no name or ID number
ever goes into a URL. The full personal record is shown only as the answer to a POST (never at a
URL of its own), audited as GET …/personal-data is.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import AuditDep, CaseSearchDep, CaseServiceDep, SessionsDep, SettingsDep
from api.schemas.cases import CasePage
from api.schemas.codes import ApplicationNumber
from domain.enums import ASSISTANCE_TYPE_LABELS, STAGE_LABELS, AssistanceType, Stage
from domain.staff import ROLE_LABELS, Actor
from services.applicant_sms import PAYMENT_SMS_ROLES, ApplicantSmsService
from services.audit import Target
from services.case_file import (
    ACTION_BODIES,
    CaseAction,
    CaseFiles,
    read_personal_data,
    take_action,
)
from services.case_search import CaseFilter, CaseSearch, may_search_by_id, search_by_id_number
from services.case_view import CaseService
from services.errors import ApiError
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

PAGE_SIZE = 20
Number = Annotated[ApplicationNumber, Path()]
# What each action's form says, and which of them cannot be undone (they ask for confirmation).
ACTION_TEXT: dict[CaseAction, dict[str, str]] = {
    CaseAction.OBJECTION: {
        "title": "登记公示异议",
        "label": "异议内容",
        "hint": "记录群众反映的情况（不记录异议人身份）。登记后公示中止，启动复核调查。",
        "button": "登记异议",
        "confirm": "登记异议后本轮公示将中止并启动复核调查，确认登记？",
        "done": "异议已登记，公示已中止，复核调查待办已生成。",
    },
    CaseAction.WITHDRAW: {
        "title": "登记申请人撤回申请",
        "label": "撤回原因",
        "hint": "将写入电子档案。撤回后案件办结，所有待办取消，不可恢复。",
        "button": "登记撤回",
        "confirm": "撤回后案件办结且不可恢复，确认登记撤回？",
        "done": "已登记撤回，案件已办结。",
    },
    CaseAction.EXTEND: {
        "title": "延长全流程办结时限",
        "label": "延长理由",
        "hint": "全流程时限由30个工作日延长至45个工作日，每案限一次，不可撤销。",
        "button": "延长时限",
        "confirm": "每案只能延长一次且不可撤销，确认延长？",
        "done": "全流程办结时限已延长。",
    },
}

SMS_STATUS_LABELS = {
    "sent": "已发送", "delivered": "已送达", "failed": "未送达", "opted_out": "该户不接收",
    "no_phone": "无手机号", "refused": "未发送（内容不合规）", "unavailable": "短信平台不可用",
}  # fmt: skip

RELATIONS = {
    "self": "本人", "spouse": "配偶", "child": "子女", "parent": "父母", "grandparent": "祖父母/外祖父母",
    "grandchild": "孙子女/外孙子女", "sibling": "兄弟姐妹", "other": "其他",
}  # fmt: skip


def _number_filter(value: str | None) -> str | None:
    """A pasted number may come in full-width digits or with spaces: the same number."""
    if not value:
        return None
    cleaned = unicodedata.normalize("NFKC", value).strip().upper()
    return cleaned or None


def _choice(enum: Any, value: str | None) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _files(cases: CaseService, sessions: SessionsDep, settings: SettingsDep) -> CaseFiles:
    return CaseFiles(sessions, cases, settings.policy_file)


@router.get("/cases", response_class=HTMLResponse, include_in_schema=False)
async def case_search(
    request: Request,
    actor: PageActor,
    search: CaseSearchDep,
    number: Annotated[str | None, Query(max_length=60)] = None,
    stage: Annotated[str | None, Query(max_length=32)] = None,
    type_: Annotated[str | None, Query(alias="type", max_length=32)] = None,
    region: Annotated[str | None, Query(max_length=12)] = None,
    overdue: Annotated[str | None, Query(max_length=1)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    chosen_number = _number_filter(number)
    wanted = CaseFilter(
        application_number=chosen_number,
        stage=_choice(Stage, stage),
        assistance_type=_choice(AssistanceType, type_),
        region_code=region or None,
        overdue=overdue == "1",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    results = await search.search(actor, wanted)  # a region outside the caller's: the 403 page
    query = {
        k: v
        for k, v in {
            "number": chosen_number or "",
            "stage": wanted.stage.value if wanted.stage else "",
            "type": wanted.assistance_type.value if wanted.assistance_type else "",
            "region": wanted.region_code or "",
            "overdue": "1" if wanted.overdue else "",
        }.items()
        if v
    }
    return await _list_page(request, actor, search, results, query, page)


async def _list_page(
    request: Request,
    actor: Actor,
    search: CaseSearch,
    results: CasePage,
    query: dict[str, str],
    page: int = 1,
    *,
    by_id: bool = False,
    id_errors: dict[str, str] | None = None,
    id_value: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    pages = max(1, -(-results.total // PAGE_SIZE))
    indent = {"township": "　", "community": "　　"}
    regions = [(r.code, indent.get(r.level, "") + r.name) for r in await search.regions(actor)]
    return render(
        request,
        "cases/list.html",
        {
            "title": "案件查询",
            "results": results,
            "filters": query,
            "page": page,
            "pages": 1 if by_id else pages,
            "stages": [(s.value, label) for s, label in STAGE_LABELS.items()],
            "types": [(t.value, label) for t, label in ASSISTANCE_TYPE_LABELS.items()],
            "regions": regions,
            "prev_url": "/staff/cases?" + urlencode({**query, "page": page - 1}),
            "next_url": "/staff/cases?" + urlencode({**query, "page": page + 1}),
            "may_search_by_id": may_search_by_id(actor),
            "by_id": by_id,
            "id_errors": id_errors or {},
            "id_value": id_value,
        },
        status_code=status_code,
    )


@router.post("/cases/by-id-number", response_class=HTMLResponse, include_in_schema=False)
async def case_search_by_id(
    request: Request,
    actor: PageActor,
    search: CaseSearchDep,
    trail: AuditDep,
    id_number: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """按身份证号查找: a POST, so the number is in no URL, history or log line."""
    try:
        found = await search_by_id_number(search, trail, actor, id_number)
    except ApiError as refusal:
        if refusal.status_code != 422:
            raise
        errors = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}
        empty = CasePage(items=[], total=0, limit=PAGE_SIZE, offset=0)
        return await _list_page(
            request, actor, search, empty, {}, by_id=True, id_errors=errors, id_value=id_number[:64],
            status_code=422,
        )  # fmt: skip
    return await _list_page(request, actor, search, found, {}, by_id=True)


async def _case_page(
    request: Request,
    actor: Actor,
    files: CaseFiles,
    number: str,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    conflict: ApiError | None = None,
    done: str | None = None,
    status_code: int = 200,
    sms: ApplicantSmsService | None = None,
) -> HTMLResponse:
    case_file = await files.open(number, actor)
    opt_out, messages = await sms.messages(number, actor) if sms is not None else (False, [])
    return render(
        request,
        "cases/detail.html",
        {
            "title": f"案件 {case_file.case.application_number}",
            "f": case_file,
            "role_labels": ROLE_LABELS,
            "action_text": ACTION_TEXT,
            "action_fields": {a: ACTION_BODIES[a][1] for a in CaseAction},
            "errors": errors or {},
            "values": values or {},
            "conflict": conflict,
            "done": ACTION_TEXT[CaseAction(done)]["done"] if done in set(CaseAction) else None,
            "form_key": str(uuid.uuid4()),
            "sms": {
                "shown": sms is not None,
                "opt_out": opt_out,
                "messages": messages,
                "may_set": actor.role in PAYMENT_SMS_ROLES,
                "labels": SMS_STATUS_LABELS,
            },
            "sms_done": done == "payment-sms",
        },
        status_code=status_code,
    )


@router.get("/cases/{application_number}", response_class=HTMLResponse, include_in_schema=False)
async def case_page(
    request: Request,
    application_number: Number,
    actor: PageActor,
    cases: CaseServiceDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    files = _files(cases, sessions, settings)
    sms = ApplicantSmsService(sessions, cases)
    return await _case_page(request, actor, files, application_number, done=done, sms=sms)


@router.post("/cases/{application_number}/payment-sms", include_in_schema=False)
async def payment_sms(
    application_number: Number,
    actor: PageActor,
    cases: CaseServiceDep,
    trail: AuditDep,
    sessions: SessionsDep,
    opt_out: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """到账短信: the household's choice, as PUT /api/v1/applications/{n}/payment-sms records it."""
    if actor.role not in PAYMENT_SMS_ROLES:
        raise ApiError(403, "forbidden", "此操作仅限受理窗口人员和乡镇审核人员")
    chosen = await ApplicantSmsService(sessions, cases).set_payment_opt_out(
        application_number, opt_out == "yes", actor
    )
    target = Target("application", application_number, application_number)
    await trail.record(actor, "application.payment_sms", target, detail={"opt_out": chosen})
    return RedirectResponse(f"/staff/cases/{application_number}?done=payment-sms", status_code=303)


@router.post("/cases/{application_number}/actions/{action}", include_in_schema=False)
async def case_action(
    request: Request,
    application_number: Number,
    action: CaseAction,
    actor: PageActor,
    cases: CaseServiceDep,
    trail: AuditDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=4000)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    files = _files(cases, sessions, settings)
    name = ACTION_BODIES[action][1]
    key = form_key if _is_uuid(form_key) else None
    if confirm != "yes":
        errors = {action.value: {"confirm": "请勾选“我已核对，确认提交”"}}
        return await _case_page(
            request, actor, files, application_number, errors=errors, values={action.value: text},
            status_code=422,
        )  # fmt: skip
    try:
        await take_action(cases, trail, action, application_number, text, actor, key)
    except ApiError as refusal:
        if refusal.status_code == 422:
            found = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}
            # The body's one field is the page's textarea.
            errors = {action.value: {"text": found.get(name, refusal.message)}}
            return await _case_page(
                request, actor, files, application_number, errors=errors, values={action.value: text},
                status_code=422,
            )  # fmt: skip
        if refusal.status_code == 409:
            return await _case_page(
                request, actor, files, application_number, conflict=refusal, status_code=409
            )
        raise  # 403 / 404 / 503: the error page, nothing of the case
    return RedirectResponse(f"/staff/cases/{application_number}?done={action.value}", status_code=303)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.post("/cases/{application_number}/personal-data", include_in_schema=False)
async def personal_data(
    request: Request,
    application_number: Number,
    actor: PageActor,
    cases: CaseServiceDep,
    trail: AuditDep,
) -> HTMLResponse:
    record = await read_personal_data(cases, trail, application_number, actor)
    return render(
        request,
        "cases/personal.html",
        {"title": f"完整个人信息 {record.application_number}", "record": record, "relations": RELATIONS},
    )
