"""群众异议: the township reviewer's queue of objections sent from the public publicity page
(services/public_objections.py). Each item is registered on its case (the case's objection
action: publicity stops, re-investigation starts) or dismissed with a reason; either closes it.
The township head and supervisors see the queue; only the reviewer decides. The evidence file
is served here only, to staff of the case's township, audited — never on the public side."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CaseServiceDep
from domain.staff import Actor
from services.errors import ApiError
from services.public_objections import PublicObjections
from web.csrf import require_csrf
from web.objection_deps import ReviewerObjectionsDep
from web.pages import PageActor, PageRoute
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

ObjectionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
DONE = {
    "registered": "已登记为案件异议：公示已中止，复核调查待办已生成。",
    "dismissed": "已记录不予登记的理由，该异议已办结。",
}


async def _queue_page(
    request: Request,
    actor: Actor,
    objections: PublicObjections,
    *,
    closed: bool = False,
    done: str | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    conflict: ApiError | None = None,
    revealed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    items = await objections.queue(actor, include_closed=closed)  # other roles: the 403 page
    return render(
        request,
        "objections/queue.html",
        {
            "title": "群众异议",
            "items": items,
            "closed": closed,
            "done": DONE.get(done or ""),
            "errors": errors or {},
            "values": values or {},
            "conflict": conflict,
            "revealed": revealed or {},
            "may_decide": objections.may_decide(actor),
            "form_key": str(uuid.uuid4()),
        },
        status_code=status_code,
    )


@router.get("/objections", response_class=HTMLResponse, include_in_schema=False)
async def objection_queue(
    request: Request,
    actor: PageActor,
    objections: ReviewerObjectionsDep,
    closed: Annotated[str | None, Query(max_length=1)] = None,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    return await _queue_page(request, actor, objections, closed=closed == "1", done=done)


def _back(request: Request, done: str) -> Response:
    if "hx-request" in request.headers:
        return Response(status_code=204, headers={"HX-Redirect": f"/staff/objections?done={done}"})
    return RedirectResponse(f"/staff/objections?done={done}", status_code=303)


@router.post("/objections/{objection_id}/register", include_in_schema=False, response_model=None)
async def register_objection(
    request: Request,
    objection_id: ObjectionId,
    actor: PageActor,
    objections: ReviewerObjectionsDep,
    cases: CaseServiceDep,
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    if confirm != "yes":
        errors = {objection_id: {"confirm": "请勾选“我已核对，确认提交”"}}
        return await _queue_page(request, actor, objections, errors=errors, status_code=422)
    try:
        await objections.register(objection_id, actor, cases)
    except ApiError as refusal:
        if refusal.status_code != 409:
            raise
        return await _queue_page(request, actor, objections, conflict=refusal, status_code=409)
    return _back(request, "registered")


@router.post("/objections/{objection_id}/dismiss", include_in_schema=False, response_model=None)
async def dismiss_objection(
    request: Request,
    objection_id: ObjectionId,
    actor: PageActor,
    objections: ReviewerObjectionsDep,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        await objections.dismiss(objection_id, reason, actor)
    except ApiError as refusal:
        if refusal.status_code == 409:
            return await _queue_page(request, actor, objections, conflict=refusal, status_code=409)
        if refusal.status_code != 422:
            raise
        errors = {objection_id: {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}}
        values = {objection_id: reason[:2000]}
        return await _queue_page(request, actor, objections, errors=errors, values=values, status_code=422)
    return _back(request, "dismissed")


@router.post("/objections/{objection_id}/contact", response_class=HTMLResponse, include_in_schema=False)
async def objection_contact(
    request: Request, objection_id: ObjectionId, actor: PageActor, objections: ReviewerObjectionsDep
) -> HTMLResponse:
    """查看完整号码: the answer to a POST (the number is at no URL), audited before it is shown."""
    phone = await objections.contact(objection_id, actor)
    return await _queue_page(request, actor, objections, revealed={objection_id: phone})


@router.get("/objections/{objection_id}/evidence", include_in_schema=False, response_model=None)
async def objection_evidence(
    objection_id: ObjectionId, actor: PageActor, objections: ReviewerObjectionsDep
) -> Response:
    content_type, data = await objections.evidence(objection_id, actor)
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[content_type]
    return Response(
        data,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="evidence-{objection_id[:8]}.{extension}"'},
    )
