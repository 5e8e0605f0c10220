"""登录 / 退出 / 修改密码 — the staff pages' session (web/session.py), with the API's login guard."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import AuditDep, LoginGuardDep, SessionsDep, SettingsDep
from services.audit import Target
from services.errors import ApiError
from services.staff_passwords import StaffPasswords
from web.csrf import require_csrf
from web.pages import PageActor, PageRoute, safe_next
from web.session import clear_session_cookie, issue_session, set_session_cookie
from web.templating import render

router = APIRouter(prefix="/staff", route_class=PageRoute, dependencies=[Depends(require_csrf)])


def _ttl(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(
    request: Request,
    next_: Annotated[str | None, Query(alias="next", max_length=512)] = None,
    expired: Annotated[str | None, Query(max_length=1)] = None,
) -> HTMLResponse:
    notice = "登录已过期，请重新登录；登录后回到您刚才的页面。" if expired else None
    return render(
        request, "login.html", {"next": safe_next(next_), "notice": notice, "error": None, "username": ""}
    )


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    settings: SettingsDep,
    guard: LoginGuardDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next_: Annotated[str | None, Form(alias="next", max_length=512)] = None,
) -> Response:
    target = safe_next(next_)
    try:
        # The same check, lockout, throttling and audit entries as POST /api/v1/auth/token.
        staff = await guard.authenticate(username, password)
    except ApiError as refusal:
        page = render(
            request,
            "login.html",
            {"next": target, "notice": None, "error": refusal.message, "username": username[:64]},
            status_code=refusal.status_code,
        )
        page.headers.update(refusal.headers or {})
        return page
    ttl = _ttl(settings.web_session_minutes)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(
        response, request, issue_session(settings.jwt_secret, staff.username, staff.password_hash, ttl), ttl
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, actor: PageActor, trail: AuditDep) -> Response:
    await trail.record(
        actor, "web_session.ended", Target("staff", actor.username, region_code=actor.region_code)
    )
    response = RedirectResponse("/staff/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/password", response_class=HTMLResponse, include_in_schema=False)
async def password_page(request: Request, actor: PageActor) -> HTMLResponse:
    return render(request, "password.html", {"errors": {}, "error": None, "done": False})


@router.post("/password", include_in_schema=False)
async def change_password(
    request: Request,
    actor: PageActor,
    settings: SettingsDep,
    sessions: SessionsDep,
    guard: LoginGuardDep,
    trail: AuditDep,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        staff = await StaffPasswords(sessions, guard, trail).change(
            actor, current_password, new_password, confirm_password
        )
    except ApiError as refusal:
        # Field problems beside their fields; a lock or throttle (423/429) above the form.
        errors = {e["field"]: e["message"] for e in refusal.extra.get("errors", [])}
        context = {"errors": errors, "error": None if errors else refusal.message, "done": False}
        page = render(request, "password.html", context, status_code=refusal.status_code)
        page.headers.update(refusal.headers or {})
        return page
    # This browser stays signed in under the new password; every other session has ended.
    ttl = _ttl(settings.web_session_minutes)
    response = render(request, "password.html", {"errors": {}, "error": None, "done": True})
    set_session_cookie(
        response, request, issue_session(settings.jwt_secret, staff.username, staff.password_hash, ttl), ttl
    )
    return response
