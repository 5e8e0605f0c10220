"""公示 for the public (no sign-in): a community's current publicity list and the objection form
under it; a township's page lists its communities. Everything shown comes from CaseSearch's
public methods (masked name, household size, proposed amount, period — nothing else), the
objection goes to services/public_objections.py.

The form works without script: "获取验证码" is a second submit button of the same form (its own
formaction), which sends the code and shows the form again with what was typed (but the file: a
browser cannot be given one back). A sent objection redirects back to the page (?sent=1), so a
reload sends nothing; a second send of the same form (its form_key) is the same objection anyway.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import AuditDep, CaseSearchDep
from domain.evidence_files import ACCEPTED_LABEL, MAX_EVIDENCE_BYTES
from domain.masking import mask_phone
from services.errors import ApiError
from services.public_objections import ObjectionForm, normalise_phone
from web.objection_deps import PublicObjectionsDep
from web.public import PublicRoute, render_public, require_public_csrf

router = APIRouter(prefix="/public", route_class=PublicRoute, dependencies=[Depends(require_public_csrf)])

Code = Annotated[str, Path(pattern=r"^\d{9}$|^\d{12}$")]
_FIELDS = ("ref", "text", "phone", "code", "evidence")


def _values(
    ref: str = "", text: str = "", phone: str = "", form_key: str | None = None, code: str = ""
) -> dict[str, str]:
    return {"ref": ref, "text": text, "phone": phone, "form_key": form_key or str(uuid.uuid4()), "code": code}


async def _page(
    request: Request,
    search: CaseSearchDep,
    code: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    community = await search.public_community(code)  # not a community: the 404 page
    context: dict[str, Any] = {
        "title": f"{community.community_name}公示",
        "community": community,
        "values": values or _values(),
        "errors": errors or {},
        "alert": alert,
        "notice": notice,
        "accepted": ACCEPTED_LABEL,
        "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024),
    }
    return render_public(request, "public/community.html", context, status_code=status_code)


@router.get("/publicity", response_class=HTMLResponse, include_in_schema=False)
async def publicity_index(request: Request, search: CaseSearchDep) -> HTMLResponse:
    townships = await search.public_townships()
    return render_public(request, "public/index.html", {"title": "社会救助公示", "townships": townships})


@router.get("/publicity/{code}", response_class=HTMLResponse, include_in_schema=False)
async def publicity_page(
    request: Request,
    search: CaseSearchDep,
    code: Code,
    sent: Annotated[str | None, Query(max_length=1)] = None,
) -> HTMLResponse:
    if len(code) == 9:
        township = await search.public_township(code)
        return render_public(
            request, "public/township.html", {"title": f"{township.township_name}公示", "township": township}
        )
    notice = "您的异议已提交，乡镇（街道）审核人员将依法调查核实，并对您的信息保密。" if sent == "1" else None
    return await _page(request, search, code, notice=notice)


def _field_errors(refusal: ApiError) -> tuple[dict[str, str], str | None]:
    """The refusal's errors beside their fields; what belongs to no field, above the form."""
    beside: dict[str, str] = {}
    above: list[str] = []
    for e in refusal.extra.get("errors") or []:
        field = str(e.get("field", ""))
        if field in _FIELDS and field not in beside:
            beside[field] = str(e.get("message", ""))
        else:
            above.append(str(e.get("message", "")))
    if not beside and not above:
        above.append(refusal.message)
    return beside, "；".join(above) or None


@router.post("/publicity/{code}/code", response_class=HTMLResponse, include_in_schema=False)
async def send_code(
    request: Request,
    search: CaseSearchDep,
    objections: PublicObjectionsDep,
    trail: AuditDep,
    code: Code,
    ref: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    values = _values(ref, text, normalise_phone(phone), form_key or None)
    try:
        sent_to = await objections.request_code(phone, trail.context.client_ip)
    except ApiError as refusal:
        if refusal.status_code not in (422, 429, 503):
            raise
        beside, above = _field_errors(refusal)
        return await _page(request, search, code, values=values, errors=beside, alert=above if not beside else None,
                           status_code=refusal.status_code)  # fmt: skip
    notice = f"验证码已发送至 {mask_phone(sent_to)}，5分钟内有效。如已选择证据文件，请重新选择。"
    return await _page(request, search, code, values=values, notice=notice)


def _key(value: str) -> str:
    return value if re.fullmatch(r"[0-9a-f-]{36}", value) else ""


@router.post("/publicity/{code}/objections", include_in_schema=False, response_model=None)
async def submit_objection(
    request: Request,
    search: CaseSearchDep,
    objections: PublicObjectionsDep,
    code: Code,
    ref: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    sms_code: Annotated[str, Form(alias="code", max_length=20)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
    evidence: UploadFile | None = None,
) -> Response:
    # One byte past the limit is enough to know it is too large; the rest is never read.
    data = await evidence.read(MAX_EVIDENCE_BYTES + 1) if evidence is not None else b""
    form = ObjectionForm(code, ref, text, phone, sms_code, _key(form_key) or str(form_key), data or None)
    try:
        await objections.submit(form)
    except ApiError as refusal:
        if refusal.status_code not in (409, 422, 429, 503):
            raise
        beside, above = _field_errors(refusal)
        # The code is kept when it was not the problem: refused fields are checked before the code
        # is spent, so the visitor fixes the file and sends again with the same code.
        kept = "" if "code" in beside else sms_code[:10]
        values = _values(ref, text, normalise_phone(phone), _key(form_key) or None, kept)
        return await _page(request, search, code, values=values, errors=beside, alert=above,
                           status_code=refusal.status_code)  # fmt: skip
    return RedirectResponse(f"/public/publicity/{code}?sent=1#objection", status_code=303)


@router.get("/{rest:path}", include_in_schema=False)
async def public_not_found(rest: str) -> Response:
    """Any other /public path: the public 404 page (last route of this router)."""
    raise ApiError(404, "page_not_found", "您要找的页面不存在")
