"""受理登记: the one-window intake form of every assistance type, its confirmation, and the printable
一次性告知书 of the materials still missing.

The form posts to itself. Its own buttons re-render it with every value kept: 添加成员, 删除 (a
member row), 更新材料清单 (after choosing another type) — plain submits without script, in place
with htmx (the same request with an HX-Request header answers the form alone). 保存受理 validates
with ApplicationIn and files through ApplicationService.submit, exactly as POST
/api/v1/applications does, and is audited as the same action.

A double click or a resent form never makes a second case: the application number is made when
the form is first shown and travels in it (services/intake.py), and the service keeps one case per
number — the same content answers with the case already filed. Personal data travels only in
POST bodies: the confirmation and notice URLs carry the application number alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import ApplicationServiceDep, AuditDep, CaseServiceDep
from api.intake_deps import IntakeServiceDep
from api.schemas.applications import ApplicationIn
from api.schemas.codes import ApplicationNumber
from domain.enums import ASSISTANCE_TYPE_LABELS
from domain.messages import field_errors
from domain.staff import Actor, Role
from services.applications import ApplicationService
from services.audit import AuditTrail, Target
from services.errors import ApiError
from services.intake import IntakeOptions, new_application_number
from web.csrf import require_csrf
from web.intake_form import CHANNEL_LABELS, RELATION_LABELS, IntakeForm, form_errors, to_payload
from web.pages import PageActor, PageRoute, require_page_roles
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])

Clerk = Annotated[Actor, Depends(require_page_roles(Role.INTAKE_CLERK))]
Number = Annotated[ApplicationNumber, PathParam()]


IntakeDep = IntakeServiceDep


def _page(
    request: Request,
    options: IntakeOptions,
    form: IntakeForm,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    existing: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    chosen = options.type_option(form.assistance_type)
    form.assistance_type = chosen.code
    context: dict[str, Any] = {
        "title": "受理登记",
        "options": options,
        "chosen": chosen,
        "form": form,
        "errors": errors or {},
        "alert": alert,
        "existing": existing,
        "relations": RELATION_LABELS,
        "channels": CHANNEL_LABELS,
    }
    # htmx re-renders (a member added or removed, another type) swap the form alone.
    template = "intake/_form.html" if "hx-request" in request.headers else "intake/form.html"
    return render(request, template, context, status_code=status_code)


@router.get("/intake", response_class=HTMLResponse, include_in_schema=False)
async def intake_page(
    request: Request,
    clerk: Clerk,
    intake: IntakeDep,
    type_: Annotated[str | None, Query(alias="type", max_length=32)] = None,
) -> HTMLResponse:
    options = await intake.options(clerk)
    form = IntakeForm(
        application_number=new_application_number(clerk, datetime.now(UTC)),
        assistance_type=type_ or options.types[0].code,
    )
    if len(options.townships) == 1 and len(options.townships[0].communities) == 1:
        form.community_code = options.townships[0].communities[0].code
    return _page(request, options, form)


@router.post("/intake", include_in_schema=False)
async def intake_submit(
    request: Request,
    clerk: Clerk,
    intake: IntakeDep,
    applications: ApplicationServiceDep,
    trail: AuditDep,
) -> Response:
    options = await intake.options(clerk)
    raw = await request.form()
    form = IntakeForm.from_form(raw)
    action = raw.get("action")
    action = action if isinstance(action, str) else "save"
    if not form.application_number:  # a forged or truncated form: never save under a number made now,
        # which a resend of the same form would not share (a second case); number it and show it.
        form.application_number = new_application_number(clerk, datetime.now(UTC))
        if action == "save":
            alert = "未保存：表单缺少申请编号，已重新编制，请核对后再次保存。"
            return _page(request, options, form, alert=alert, status_code=422)
    if action == "add_member":
        form.add_member()
        return _page(request, options, form)
    if action.startswith("remove-") and action[7:].isdigit():
        form.remove_member(int(action[7:]))
        return _page(request, options, form)
    if action == "refresh":
        form.keep_materials_of(options.type_option(form.assistance_type).required_materials)
        return _page(request, options, form)
    return await _save(request, options, form, clerk, applications, trail)


async def _save(
    request: Request,
    options: IntakeOptions,
    form: IntakeForm,
    clerk: Actor,
    applications: ApplicationService,
    trail: AuditTrail,
) -> Response:
    payload = to_payload(form, options.region_of(form.community_code))
    try:
        body = ApplicationIn.model_validate(payload.body)
    except ValidationError as invalid:
        errors = {**form_errors(field_errors(invalid), payload.rows), **payload.errors}
        return _page(
            request, options, form, errors, alert="提交的内容有误，请按提示修改后重新保存。", status_code=422
        )
    if payload.errors:
        return _page(
            request,
            options,
            form,
            payload.errors,
            alert="提交的内容有误，请按提示修改后重新保存。",
            status_code=422,
        )
    target = Target.application(body.application_number, body.region.community_code)
    detail = {
        "assistance_type": body.assistance_type.value,
        "channel": body.channel.value,
        "via": "staff_web",
    }
    try:
        result = await applications.submit(body, clerk)
    except ApiError as refusal:
        await trail.record(
            clerk,
            "application.submit",
            target,
            status_code=refusal.status_code,
            detail={**detail, "code": refusal.code},
        )
        if refusal.code == "workflow_unavailable":  # saved; the start repair starts it later
            return RedirectResponse(f"/staff/intake/{body.application_number}", status_code=303)
        if refusal.status_code == 403:
            errors = {"community_code": refusal.message}
            return _page(request, options, form, errors, alert=f"未保存：{refusal.message}", status_code=403)
        if refusal.status_code == 422:
            errors = form_errors(list(refusal.extra.get("errors") or []), payload.rows)
            return _page(request, options, form, errors, alert=f"未保存：{refusal.message}", status_code=422)
        if refusal.status_code == 409:
            return _page(
                request, options, form, alert=f"未保存：{refusal.message}",
                existing=body.application_number, status_code=409,
            )  # fmt: skip
        raise
    await trail.record(
        clerk, "application.submit", target, status_code=201 if result.created else 200,
        detail={**detail, "created": result.created, "stage": result.stage.value},
    )  # fmt: skip
    return RedirectResponse(f"/staff/intake/{result.application_number}", status_code=303)


@router.get("/intake/{application_number}", response_class=HTMLResponse, include_in_schema=False)
async def intake_done(
    request: Request, application_number: Number, actor: PageActor, cases: CaseServiceDep, intake: IntakeDep
) -> HTMLResponse:
    case = await cases.get(application_number, actor)
    notice = await intake.notice(application_number, actor)
    return render(
        request,
        "intake/done.html",
        {
            "title": "受理登记完成",
            "case": case,
            "notice": notice,
            "type_label": ASSISTANCE_TYPE_LABELS[case.assistance_type],
        },
    )


@router.get("/intake/{application_number}/notice", response_class=HTMLResponse, include_in_schema=False)
async def intake_notice(
    request: Request, application_number: Number, actor: PageActor, intake: IntakeDep
) -> HTMLResponse:
    notice = await intake.notice(application_number, actor)
    return render(request, "intake/notice.html", {"title": "一次性告知书", "notice": notice})
