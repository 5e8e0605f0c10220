"""掌上办 pages: sign-in with phone + SMS code, the ID number once per session, apply (with photos
or PDFs of the materials), my applications, a case's progress, withdrawal.

Only translation and page flow live here: the codes are PhoneCodeService's, the application's
validation is the window's ApplicationIn (with the window form's own translation,
web/intake_form.py), who may see what is PortalService's.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.deps import AuditDep, PiiDep, SettingsDep
from api.intake_deps import IntakeServiceDep
from api.portal_deps import PhoneCodeServiceDep, PortalServiceDep
from api.schemas.applications import ApplicationIn
from api.schemas.codes import ApplicationNumber
from domain.enums import Channel
from domain.identity import InvalidIdNumber, normalize_id_number
from domain.masking import mask_phone
from domain.messages import field_errors
from services.audit import Target, Who
from services.errors import ApiError
from services.intake import IntakeOptions
from services.phone_codes import normalize_mobile
from services.uploads import MAX_BYTES, MAX_FILES, CheckedFile, check_file
from web.intake_form import RELATION_LABELS, IntakeForm, form_errors, to_payload
from web.portal.pages import PhoneApplicant, PortalRoute, ProvedApplicant, render_portal, require_portal_csrf
from web.portal.session import clear_cookie, issue, set_cookie

router = APIRouter(prefix="/portal", route_class=PortalRoute, dependencies=[Depends(require_portal_csrf)])

Reference = Annotated[str, PathParam(pattern=r"^WS[0-9A-F]{8,24}$", max_length=32)]
Number = Annotated[ApplicationNumber, PathParam()]
Token = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,40}$")]
PURPOSE = "portal_sign_in"


def _client_ip(trail: Any) -> str | None:
    ip: str | None = trail.context.client_ip
    return ip


def _errors(refusal: ApiError) -> dict[str, str]:
    return {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}


# -- sign-in ---------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, applicant: ProvedApplicant, portal: PortalServiceDep) -> HTMLResponse:
    items = await portal.mine(applicant)
    return render_portal(request, "portal/home.html", {"title": "我的申请", "items": items})


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(
    request: Request, expired: Annotated[str | None, Query(max_length=1)] = None
) -> HTMLResponse:
    notice = "登录已过期，请重新登录。" if expired else None
    return render_portal(
        request,
        "portal/login.html",
        {"title": "登录", "step": "phone", "phone": "", "errors": {}, "notice": notice},
    )


@router.post("/login/code", include_in_schema=False)
async def send_code(
    request: Request,
    codes: PhoneCodeServiceDep,
    trail: AuditDep,
    phone: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        number = normalize_mobile(phone)
        await codes.request(number, PURPOSE, _client_ip(trail))
    except ApiError as refusal:
        step = "code" if refusal.code in ("code_too_frequent",) else "phone"
        page = render_portal(
            request,
            "portal/login.html",
            {
                "title": "登录",
                "step": step,
                "phone": phone[:32],
                "errors": _errors(refusal) or {"phone": refusal.message},
                "notice": None,
            },
            status_code=refusal.status_code,
        )
        page.headers.update(refusal.headers or {})
        return page
    return render_portal(
        request,
        "portal/login.html",
        {
            "title": "登录",
            "step": "code",
            "phone": number,
            "errors": {},
            "notice": f"验证码已发送到 {mask_phone(number)}，5 分钟内有效。",
        },
    )


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    settings: SettingsDep,
    pii: PiiDep,
    codes: PhoneCodeServiceDep,
    trail: AuditDep,
    phone: Annotated[str, Form(max_length=32)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        number = normalize_mobile(phone)
        await codes.verify(number, PURPOSE, code, client_ip=_client_ip(trail))
    except ApiError as refusal:
        page = render_portal(
            request,
            "portal/login.html",
            {
                "title": "登录",
                "step": "code",
                "phone": phone[:32],
                "errors": _errors(refusal) or {"code": refusal.message},
                "notice": None,
            },
            status_code=refusal.status_code,
        )
        page.headers.update(refusal.headers or {})
        return page
    await trail.record(
        Who(f"applicant:{mask_phone(number)}"), "portal_session.started", Target("phone", mask_phone(number))
    )
    response = RedirectResponse("/portal/identity", status_code=303)
    set_cookie(response, request, issue(settings.jwt_secret, pii.seal(number), None))
    return response


@router.get("/identity", response_class=HTMLResponse, include_in_schema=False)
async def identity_page(request: Request, applicant: PhoneApplicant) -> HTMLResponse:
    return render_portal(request, "portal/identity.html", {"title": "核验身份", "errors": {}})


@router.post("/identity", include_in_schema=False)
async def identity(
    request: Request,
    applicant: PhoneApplicant,
    settings: SettingsDep,
    pii: PiiDep,
    trail: AuditDep,
    id_number: Annotated[str, Form(max_length=32)] = "",
) -> Response:

    try:
        value = normalize_id_number(unicodedata.normalize("NFKC", id_number).strip())
    except InvalidIdNumber as bad:
        return render_portal(
            request,
            "portal/identity.html",
            {"title": "核验身份", "errors": {"id_number": str(bad)}},
            status_code=422,
        )
    session = request.state.portal_session
    await trail.record(
        Who(f"applicant:{applicant.phone_masked}"),
        "portal_session.identity",
        Target("phone", applicant.phone_masked),
    )
    response = RedirectResponse("/portal/", status_code=303)
    set_cookie(
        response,
        request,
        issue(settings.jwt_secret, session.phone_sealed, pii.digest(value), sid=session.session_id),
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    response = RedirectResponse("/portal/login", status_code=303)
    clear_cookie(response, request)
    return response


# -- apply -----------------------------------------------------------------------------------------
def _apply_page(
    request: Request,
    options: IntakeOptions,
    form: IntakeForm,
    form_key: str,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    chosen = options.type_option(form.assistance_type)
    form.assistance_type = chosen.code
    context = {
        "title": "申请救助",
        "options": options,
        "chosen": chosen,
        "form": form,
        "form_key": form_key,
        "errors": errors or {},
        "alert": alert,
        "relations": RELATION_LABELS,
        "max_mb": MAX_BYTES // (1024 * 1024),
    }
    return render_portal(request, "portal/apply.html", context, status_code=status_code)


@router.get("/apply", response_class=HTMLResponse, include_in_schema=False)
async def apply_page(
    request: Request,
    applicant: ProvedApplicant,
    intake: IntakeServiceDep,
    type_: Annotated[str | None, Query(alias="type", max_length=32)] = None,
) -> HTMLResponse:
    options = await intake.applicant_options()
    form = IntakeForm(assistance_type=type_ or options.types[0].code, channel=Channel.ONLINE.value)
    return _apply_page(request, options, form, str(uuid.uuid4()))


async def _read_files(raw: Any, materials: tuple[str, ...]) -> tuple[list[CheckedFile], dict[str, str]]:
    files: list[CheckedFile] = []
    errors: dict[str, str] = {}
    for i, material in enumerate(materials[:MAX_FILES]):
        upload = raw.get(f"file-{i}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        content = await upload.read(MAX_BYTES + 1)
        checked = check_file(material, content)
        if isinstance(checked, str):
            errors[f"file-{i}"] = checked
        else:
            files.append(checked)
    return files, errors


@router.post("/apply", include_in_schema=False)
async def apply(
    request: Request,
    applicant: ProvedApplicant,
    intake: IntakeServiceDep,
    portal: PortalServiceDep,
) -> Response:
    options = await intake.applicant_options()
    raw = await request.form()
    form = IntakeForm.from_form(raw)
    form.channel = Channel.ONLINE.value  # whatever was posted: this is the online channel
    form.applicant_phone = applicant.phone
    form.proxy_name = form.proxy_relation = form.grid_code = form.grid_reporter = ""
    # The green channel (shorter limits for the township and the county) is the window's decision,
    # never the applicant's: a posted green_channel=1 is dropped.
    form.green_channel = False
    key_raw = raw.get("form_key")
    form_key = key_raw if isinstance(key_raw, str) and 8 <= len(key_raw) <= 64 else str(uuid.uuid4())
    action = raw.get("action")
    if action == "add_member":
        form.add_member()
        return _apply_page(request, options, form, form_key)
    if isinstance(action, str) and action.startswith("remove-") and action[7:].isdigit():
        form.remove_member(int(action[7:]))
        return _apply_page(request, options, form, form_key)
    if action == "refresh":
        return _apply_page(request, options, form, form_key)

    chosen = options.type_option(form.assistance_type)
    files, file_errors = await _read_files(raw, chosen.required_materials)
    form.materials = [f.material for f in files]
    payload = to_payload(form, options.region_of(form.community_code))
    payload.body["application_number"] = "ONLINE-PENDING"  # numbered by the service
    errors: dict[str, str] = {**payload.errors, **file_errors}
    body: ApplicationIn | None = None
    try:
        body = ApplicationIn.model_validate(payload.body)
    except ValidationError as invalid:
        errors = {**form_errors(field_errors(invalid), payload.rows), **errors}
    if not form.commitment_signed:
        errors["commitment_signed"] = "请阅读并勾选告知承诺"
    if errors or body is None:
        alert = "还不能提交：请按红字提示修改。" + (
            "（所选文件未保存，请修改后重新选择文件）" if files or file_errors else ""
        )
        return _apply_page(request, options, form, form_key, errors, alert=alert, status_code=422)
    try:
        reference = await portal.submit(applicant, body, files, form_key)
    except ApiError as refusal:
        if refusal.status_code != 422:
            raise
        errors = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}
        return _apply_page(request, options, form, form_key, errors, alert=refusal.message, status_code=422)
    return RedirectResponse(f"/portal/applications/{reference}", status_code=303)


# -- my applications -------------------------------------------------------------------------------
@router.get("/applications/{reference}", response_class=HTMLResponse, include_in_schema=False)
async def online_page(
    request: Request, reference: Reference, applicant: ProvedApplicant, portal: PortalServiceDep
) -> HTMLResponse:
    view = await portal.online(applicant, reference)
    if view.application_number:
        return RedirectResponse(f"/portal/cases/{view.application_number}", status_code=303)  # type: ignore[return-value]
    return render_portal(request, "portal/online.html", {"title": "网上申请", "view": view})


@router.post("/applications/{reference}/withdraw", include_in_schema=False)
async def withdraw_online(
    request: Request, reference: Reference, applicant: ProvedApplicant, portal: PortalServiceDep
) -> Response:
    await portal.withdraw_online(applicant, reference)
    return RedirectResponse(f"/portal/applications/{reference}", status_code=303)


@router.get("/cases/{application_number}", response_class=HTMLResponse, include_in_schema=False)
async def case_page(
    request: Request, application_number: Number, applicant: ProvedApplicant, portal: PortalServiceDep
) -> HTMLResponse:
    view = await portal.case(applicant, application_number)
    return render_portal(request, "portal/case.html", {"title": "办理进度", "view": view, "errors": {}})


@router.post("/cases/{application_number}/withdraw", include_in_schema=False)
async def withdraw_case(
    request: Request,
    application_number: Number,
    applicant: ProvedApplicant,
    portal: PortalServiceDep,
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        await portal.request_withdrawal(applicant, application_number, reason)
    except ApiError as refusal:
        if refusal.status_code != 422:
            raise
        view = await portal.case(applicant, application_number)
        return render_portal(
            request,
            "portal/case.html",
            {"title": "办理进度", "view": view, "errors": _errors(refusal)},
            status_code=422,
        )
    return RedirectResponse(f"/portal/cases/{application_number}", status_code=303)


@router.get("/files/{token}", include_in_schema=False)
async def file(
    request: Request, token: Token, applicant: ProvedApplicant, portal: PortalServiceDep
) -> Response:
    content_type, content = await portal.file(applicant, token)
    request.state.portal_file = True
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{rest:path}", include_in_schema=False)
async def not_found(request: Request, rest: str) -> Response:
    from web.portal.pages import portal_error

    return portal_error(request, ApiError(404, "page_not_found", "您要找的页面不存在"))
