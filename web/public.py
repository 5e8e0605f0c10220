"""What the public pages share (no sign-in: /public/...): their own route class (the security
headers of every page, refusals as a Chinese page without the staff front's navigation), their own
CSRF cookie scoped to /public, and rendering without any staff context.

The public forms carry no ambient credential a foreign page could abuse, but a foreign page must
still not post objections in a visitor's name: every POST needs the token of a page we served
(cookie and hidden field equal), whatever the client — a script that never loaded the page is
refused too (unlike the staff check, which lets cookie-less non-browsers through to the login)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from api.csrf import CSRF_FIELD, check_same_origin, csrf_token, set_csrf_cookie
from domain.messages import field_errors
from services.errors import ApiError
from web.pages import PAGE_HEADERS
from web.templating import environment

PUBLIC_PREFIX = "/public"
PUBLIC_CSRF_COOKIE = "sa_public_csrf"
_TITLES = {403: "无法提交", 404: "未找到", 409: "操作未完成", 422: "提交的内容有误", 429: "操作过于频繁"}


def public_token(request: Request) -> str:
    token: str | None = getattr(request.state, "public_csrf", None)
    if token is None:
        token = csrf_token(request, PUBLIC_CSRF_COOKIE)
        request.state.public_csrf = token
    return token


def render_public(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    base = {"request": request, "csrf_token": public_token(request)}
    html = environment().get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status_code)


def public_error(request: Request, refusal: ApiError) -> Response:
    return render_public(
        request,
        "public/error.html",
        {"title": _TITLES.get(refusal.status_code, "操作未完成"), "refusal": refusal},
        status_code=refusal.status_code,
    )


class PublicRoute(APIRoute):
    def get_route_handler(self) -> Any:
        route = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await route(request)
            except ApiError as refusal:
                response = public_error(request, refusal)
            except RequestValidationError as invalid:
                errors = field_errors(invalid.errors())
                response = public_error(
                    request, ApiError(422, "validation_error", "请求的参数有误", errors=errors)
                )
            response.headers.update(PAGE_HEADERS)
            token: str | None = getattr(request.state, "public_csrf", None)
            if token is not None and request.cookies.get(PUBLIC_CSRF_COOKIE) != token:
                set_csrf_cookie(response, request, token, cookie=PUBLIC_CSRF_COOKIE, path=PUBLIC_PREFIX)
            return response

        return handler


async def require_public_csrf(request: Request) -> None:
    """Router dependency of the public pages: a POST must come from our page (same origin) and
    bring the token of the page it was on."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    check_same_origin(request)
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    expected = request.cookies.get(PUBLIC_CSRF_COOKIE)
    if (
        not isinstance(submitted, str)
        or not expected
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise ApiError(403, "csrf_token_invalid", "页面已过期或来源无法确认，请刷新公示页面后重新填写")


__all__ = ["PUBLIC_CSRF_COOKIE", "PublicRoute", "render_public", "require_public_csrf"]
