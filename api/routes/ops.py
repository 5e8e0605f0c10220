"""/ops/login — the operator's browser session for the Temporal Web UI (see api/ops_session.py).

A plain HTML form, in Chinese, with no script: an operator signs in once, and the UI on the same site
then calls the codec endpoint with the session cookie. Staff of every other role are refused: the
cookie exists to show decrypted case data, which only operators may see. JSON clients (Accept
without text/html) get the API's usual bodies instead of pages. Signing in and out are state
changes by cookie: both are protected against cross-site request forgery (api/csrf.py).
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import TokenExpired, TokenInvalid
from api.csrf import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie
from api.deps import AuditDep, LoginGuardDep, SessionsDep, SettingsDep
from api.errors import ApiError
from api.ops_session import (
    COOKIE_NAME,
    clear_session_cookie,
    issue_ops_session,
    read_ops_session,
    set_session_cookie,
)
from api.routes.codec import CODEC_ROLES
from api.routes.codec import PREFIX as CODEC_PREFIX
from domain.calendar import CHINA_TZ
from domain.staff import ROLE_LABELS, Actor, Role
from infra.models import Staff
from infra.settings import Settings
from services.audit import Target

router = APIRouter(prefix="/ops", tags=["运维"])

# No script, no framing (a login form inside another site's frame is a clickjacking target), no cache.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_STYLE = (
    "body{font-family:sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}"
    "label{display:block;margin:.8rem 0 .2rem}input{padding:.4rem;width:16rem}"
    "button{margin-top:1rem;padding:.4rem 1.2rem}.error{color:#b91c1c}.ok{color:#15803d}"
    "code{background:#f3f4f6;padding:0 .2rem}li{margin:.3rem 0}"
)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _codec_endpoint(request: Request) -> str:
    return str(request.base_url).rstrip("/") + CODEC_PREFIX


def _page(
    title: str, body: str, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status_code, headers={**_PAGE_HEADERS, **(headers or {})})


def _token_field(token: str) -> str:
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">'


def _login_form(token: str, error: str | None = None) -> str:
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        f"{problem}<p>登录后，Temporal UI 可调用本系统的解密接口显示案件的工作流输入与结果。仅限运维监控人员。</p>"
        f'<form method="post" action="/ops/login">{_token_field(token)}'
        '<label for="username">用户名</label><input id="username" name="username" autocomplete="username" required>'
        '<label for="password">密码</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        '<div><button type="submit">登录</button></div></form>'
    )


def _ui_instructions(request: Request, settings: Settings) -> str:
    ui = html.escape(settings.temporal_ui_origins[0])
    endpoint = html.escape(_codec_endpoint(request))
    return (
        f'<p>打开 Temporal UI：<a href="{ui}">{ui}</a>（须与本页同属一个站点，开发环境均用 127.0.0.1，登录会话才会随请求发送）。</p>'
        "<p>若案件页面仍提示 “Codec Server could not connect”（开发环境如此；生产环境已在服务端配置时无需设置），"
        "请在该浏览器中设置一次：点击 Temporal UI 右上角的 <b>Codec Server</b> 图标，然后</p><ol>"
        "<li>展开 “Use Cluster-level setting” 一栏，选择 <b>Use my browser setting and ignore Cluster-level setting.</b></li>"
        f"<li>在 Codec Server browser endpoint 中填写 <code>{endpoint}</code></li>"
        "<li>打开 <b>Include cross-origin credentials</b>（Pass the user access token 保持关闭），点击 <b>Apply</b></li>"
        "</ol><p>此设置保存在浏览器中；登录会话过期后回到本页重新登录即可。</p>"
    )


async def _signed_in_page(
    request: Request, settings: Settings, sessions: async_sessionmaker[AsyncSession], token: str
) -> str:
    """The current session's holder, if the cookie is valid and still belongs to an active operator."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return ""
    try:
        session = read_ops_session(settings.jwt_secret, raw)
    except (TokenExpired, TokenInvalid):
        return ""
    async with sessions() as db:
        staff = await db.scalar(select(Staff).where(Staff.username == session.username))
    if staff is None or not staff.active or Role(staff.role) not in CODEC_ROLES:
        return ""
    until = session.expires_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    return (
        f'<p class="ok">已登录：{html.escape(staff.display_name)}（{html.escape(staff.username)}），'
        f"有效至 {until}（北京时间）。</p>{_ui_instructions(request, settings)}"
        f'<form method="post" action="/ops/logout">{_token_field(token)}'
        '<button type="submit">退出登录</button></form>'
    )


def _form_page(
    request: Request,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    signed_in: str | None = None,
    token: str | None = None,
) -> HTMLResponse:
    """The login page (or `signed_in`, rendered with `token`) and the CSRF cookie its forms' token
    must match."""
    token = token or csrf_token(request)
    content = signed_in or _login_form(token, error)
    response = _page("运维人员登录", content, status_code, headers)
    set_csrf_cookie(response, request, token)
    return response


def _refuse(request: Request, status_code: int, code: str, message: str) -> Response:
    if _wants_html(request):
        return _form_page(request, error=message, status_code=status_code)
    raise ApiError(status_code, code, message)


@router.get("/login", response_class=HTMLResponse, summary="运维人员登录页（Temporal UI 解密用）")
async def login_page(request: Request, settings: SettingsDep, sessions: SessionsDep) -> HTMLResponse:
    token = csrf_token(request)
    signed_in = await _signed_in_page(request, settings, sessions, token)
    return _form_page(request, signed_in=signed_in or None, token=token)


@router.post(
    "/login",
    summary="运维人员登录，设置 Temporal UI 解密用的会话 Cookie",
    responses={
        401: {"description": "用户名或密码错误"},
        403: {"description": "非运维监控人员"},
        423: {"description": "账号临时锁定"},
        429: {"description": "该网络地址登录失败次数过多"},
    },
)
async def login(
    request: Request,
    settings: SettingsDep,
    guard: LoginGuardDep,
    trail: AuditDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str | None, Form(alias=CSRF_FIELD, max_length=128)] = None,
) -> Response:
    try:
        # Before the password check: a forged sign-in (into the attacker's account) costs nothing.
        check_csrf(request, csrf)
    except ApiError as refusal:
        return _refuse(request, refusal.status_code, refusal.code, refusal.message)
    try:
        # The same check, lockout, throttling and audit entries as the API's token endpoint.
        staff = await guard.authenticate(username, password)
    except ApiError as refusal:
        if _wants_html(request):
            return _form_page(request, error=refusal.message, status_code=refusal.status_code,
                              headers=refusal.headers)  # fmt: skip
        raise
    actor = Actor(staff.username, staff.display_name, Role(staff.role), staff.region_code)
    target = Target("staff", staff.username, region_code=staff.region_code)
    if actor.role not in CODEC_ROLES:
        await trail.record(actor, "ops_session.refused", target, status_code=403)
        message = f"此登录仅限运维监控人员（您的角色：{ROLE_LABELS[actor.role]}），不能查看解密数据"
        return _refuse(request, 403, "forbidden", message)
    ttl = timedelta(minutes=settings.ops_session_minutes)
    token = issue_ops_session(settings.jwt_secret, staff.username, ttl)
    await trail.record(actor, "ops_session.issued", target, detail={"minutes": settings.ops_session_minutes})
    response: Response
    if _wants_html(request):
        response = RedirectResponse("/ops/login", status_code=303)  # post/redirect/get: no re-post on reload
    else:
        body: dict[str, Any] = {
            "username": staff.username,
            "expires_in": int(ttl.total_seconds()),
            "codec_endpoint": _codec_endpoint(request),
        }
        response = JSONResponse(body)
    set_session_cookie(response, request, token, ttl)
    return response


@router.post(
    "/logout",
    summary="运维人员退出登录（清除会话 Cookie）",
    responses={403: {"description": "来自其他网站的请求，或缺少本页的防伪令牌"}},
)
async def logout(
    request: Request, csrf: Annotated[str | None, Form(alias=CSRF_FIELD, max_length=128)] = None
) -> Response:
    # A foreign page must not sign the operator out (issue 16): refused, the cookie stays.
    try:
        check_csrf(request, csrf)
    except ApiError as refusal:
        return _refuse(request, refusal.status_code, refusal.code, refusal.message)
    response: Response
    if _wants_html(request):
        response = RedirectResponse("/ops/login", status_code=303)
    else:
        response = JSONResponse({"message": "已退出登录"})
    clear_session_cookie(response, request)
    return response
