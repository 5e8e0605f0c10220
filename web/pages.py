"""What every page route shares: the signed-in actor, refusals shown as pages, security headers.

`PageRoute` is the route class of every page router. Around the route (its dependencies included)
it turns
- `LoginRequired` into a redirect to the login page, with where the user was in `next` (a GET's
  own path and query; for a form post, the page the form was on), or an HX-Redirect for htmx;
- the service layer's refusal (ApiError) into the error page with the same Chinese message and
  status the API answers with (a 409 offers to reload the page; nothing of the refused case shows);
and puts the headers every page carries on the response (a CSP without inline scripts or styles,
no framing, no caching of pages that hold personal data) and the CSRF cookie of its forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy import select

from api.audit_scope import open_scope
from api.deps import SessionsDep, SettingsDep
from domain.messages import field_errors
from domain.staff import ROLE_LABELS, Actor, Role
from infra.models import Staff
from services.errors import ApiError
from web.csrf import remember_token
from web.nav import nav_for
from web.session import COOKIE_NAME, SessionMissing, password_fingerprint, read_session
from web.templating import render

LOGIN_PATH = "/staff/login"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Same-origin: our own form posts carry Origin and Referer (the CSRF check and the return
    # after a lapsed session read them); other sites learn nothing of our URLs.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


def safe_next(value: str | None) -> str:
    """Only a path of the staff pages: never another site (//evil, https://…) nor the login page."""
    if not value or not value.startswith("/staff") or value.startswith("//") or "\\" in value:
        return "/staff/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(LOGIN_PATH):
        return "/staff/"
    return value


def _where_the_user_was(request: Request) -> str:
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{request.url.path}{query}"
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/staff/"


def login_redirect(request: Request, expired: bool) -> Response:
    target = f"{LOGIN_PATH}?next={quote(safe_next(_where_the_user_was(request)), safe='')}"
    if expired:
        target += "&expired=1"
    if "hx-request" in request.headers:
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, refusal: ApiError) -> Response:
    titles = {403: "无权访问", 404: "未找到", 409: "操作未完成", 422: "提交的内容有误", 429: "操作过于频繁"}
    return render(
        request,
        "error.html",
        # Refresh = the page the user was on (after a refused form post, the form's page, not the
        # post-only URL).
        {
            "title": titles.get(refusal.status_code, "操作未完成"),
            "refusal": refusal,
            "back": safe_next(_where_the_user_was(request)),
        },
        status_code=refusal.status_code,
    )


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        route = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await route(request)
            except LoginRequired as missing:
                response = login_redirect(request, missing.expired)
            except ApiError as refusal:
                if scope := open_scope(request):  # an audited page action, refused on the way
                    await scope.refused(refusal.status_code, refusal.code)
                response = error_page(request, refusal)
            except RequestValidationError as invalid:
                if scope := open_scope(request):
                    await scope.refused(422, "validation_error")
                errors = field_errors(invalid.errors())
                response = error_page(
                    request, ApiError(422, "validation_error", "请求的参数有误", errors=errors)
                )
            response.headers.update(PAGE_HEADERS)
            remember_token(response, request)
            return response

        return handler


async def page_actor(request: Request, settings: SettingsDep, sessions: SessionsDep) -> Actor:
    """The signed-in staff member, checked against the staff table on every request."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        raise LoginRequired()
    try:
        session = read_session(settings.jwt_secret, raw)
    except SessionMissing:
        raise LoginRequired(expired=True) from None
    async with sessions() as db:
        staff = await db.scalar(select(Staff).where(Staff.username == session.username))
    if (
        staff is None
        or not staff.active
        or password_fingerprint(staff.password_hash) != session.password_fingerprint
    ):
        raise LoginRequired(expired=True)
    actor = Actor(staff.username, staff.display_name, Role(staff.role), staff.region_code)
    request.state.actor = actor
    request.state.role_label = ROLE_LABELS[actor.role]
    request.state.nav = nav_for(actor.role)
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


def require_page_roles(*roles: Role) -> Callable[..., Awaitable[Actor]]:
    """Like api.deps.require_roles, for pages: the same refusal, shown as the 403 page."""
    allowed = "、".join(ROLE_LABELS[r] for r in roles)

    async def dependency(actor: PageActor) -> Actor:
        if actor.role not in roles:
            raise ApiError(403, "forbidden", f"此页面仅限{allowed}")
        return actor

    return dependency
