"""网上申请: the township window's queue of applications filed in the applicant portal; a clerk
reviews one (its uploaded files included) and accepts it (受理: the case and its workflow start,
via the window's own intake service) or returns it with the list of what is missing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.portal_deps import OnlineApplicationServiceDep
from domain.staff import Actor, Role
from services.errors import ApiError
from web.csrf import require_csrf
from web.pages import PageRoute, require_page_roles
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

Clerk = Annotated[Actor, Depends(require_page_roles(Role.INTAKE_CLERK))]
Reference = Annotated[str, PathParam(pattern=r"^WS[0-9A-F]{8,24}$", max_length=32)]
Token = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,40}$")]


@router.get("/online-applications", response_class=HTMLResponse, include_in_schema=False)
async def queue(request: Request, clerk: Clerk, online: OnlineApplicationServiceDep) -> HTMLResponse:
    rows = await online.queue(clerk)
    return render(request, "online/list.html", {"title": "网上申请", "rows": rows})


def _detail(request: Request, view: object, errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "online/detail.html",
        {"title": "网上申请审核", "detail": view, "errors": errors},
        status_code=status_code,
    )


@router.get("/online-applications/{reference}", response_class=HTMLResponse, include_in_schema=False)
async def detail(
    request: Request, reference: Reference, clerk: Clerk, online: OnlineApplicationServiceDep
) -> HTMLResponse:
    return _detail(request, await online.detail(clerk, reference), {})


@router.post("/online-applications/{reference}/accept", include_in_schema=False)
async def accept(
    request: Request,
    reference: Reference,
    clerk: Clerk,
    online: OnlineApplicationServiceDep,
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    if confirm != "1":
        errors = {"confirm": "请勾选“我已核对，确认受理”"}
        return _detail(request, await online.detail(clerk, reference), errors, status_code=422)
    number = await online.accept(clerk, reference)
    return RedirectResponse(f"/staff/intake/{number}", status_code=303)


@router.post("/online-applications/{reference}/return", include_in_schema=False)
async def return_(
    request: Request,
    reference: Reference,
    clerk: Clerk,
    online: OnlineApplicationServiceDep,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = await request.form()
    missing = [m for m in form.getlist("missing") if isinstance(m, str)][:30]
    try:
        await online.return_(clerk, reference, missing, note)
    except ApiError as refusal:
        if refusal.status_code != 422:
            raise
        errors = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}
        return _detail(request, await online.detail(clerk, reference), errors, status_code=422)
    return RedirectResponse("/staff/online-applications", status_code=303)


@router.get("/online-applications/files/{token}", include_in_schema=False)
async def file(token: Token, clerk: Clerk, online: OnlineApplicationServiceDep) -> Response:
    content_type, content = await online.file(clerk, token)
    return Response(content, media_type=content_type, headers={"Content-Disposition": "attachment"})
