"""What every portal route shares: the proved applicant, refusals as the portal's own pages, its
CSRF cookie and the same security headers as the staff pages (CSP without inline code)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from api.csrf import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie
from api.deps import PiiDep, SettingsDep
from domain.masking import mask_phone
from infra.pii import SealedValueError
from services.errors import ApiError
from services.portal import Applicant
from web.pages import PAGE_HEADERS
from web.portal.session import COOKIE_NAME, COOKIE_PATH, PortalSessionMissing, read
from web.templating import environment

CSRF_COOKIE = "sa_portal_csrf"
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; sandbox"
LOGIN_PATH = "/portal/login"
IDENTITY_PATH = "/portal/identity"


class PortalLoginRequired(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("portal login required")
        self.expired = expired


class IdentityRequired(Exception):
    """Signed in with the phone, the ID number not entered yet."""


def portal_token(request: Request) -> str:
    token: str | None = getattr(request.state, "portal_csrf", None)
    if token is None:
        token = csrf_token(request, CSRF_COOKIE)
        request.state.portal_csrf = token
    return token


async def require_portal_csrf(request: Request) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    check_csrf(request, submitted if isinstance(submitted, str) else None, cookie=CSRF_COOKIE)


def render_portal(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    base = {
        "request": request,
        "csrf_token": portal_token(request),
        "applicant": getattr(request.state, "applicant", None),
    }
    html = environment().get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status_code)


def portal_error(request: Request, refusal: ApiError) -> Response:
    titles = {403: "无法办理", 404: "未找到", 409: "无法办理", 422: "填写有误", 429: "操作太频繁"}
    return render_portal(
        request,
        "portal/error.html",
        {"title": titles.get(refusal.status_code, "无法办理"), "refusal": refusal},
        status_code=refusal.status_code,
    )


class PortalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        route = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await route(request)
            except PortalLoginRequired as missing:
                target = LOGIN_PATH + ("?expired=1" if missing.expired else "")
                response = RedirectResponse(target, status_code=303)
            except IdentityRequired:
                response = RedirectResponse(IDENTITY_PATH, status_code=303)
            except ApiError as refusal:
                response = portal_error(request, refusal)
                response.headers.update(refusal.headers or {})
            except RequestValidationError:
                response = portal_error(request, ApiError(422, "validation_error", "请求的参数有误"))
            response.headers.update(PAGE_HEADERS)
            if getattr(request.state, "portal_file", False):
                # An uploaded photo or PDF shown by the browser's own viewer (which styles itself
                # inline): a sandboxed document that can run nothing and load nothing else.
                response.headers["Content-Security-Policy"] = FILE_CSP
            token: str | None = getattr(request.state, "portal_csrf", None)
            if token is not None and request.cookies.get(CSRF_COOKIE) != token:
                set_csrf_cookie(response, request, token, cookie=CSRF_COOKIE, path=COOKIE_PATH)
            return response

        return handler


async def signed_in_phone(request: Request, settings: SettingsDep, pii: PiiDep) -> Applicant:
    """The phone the session proved (the ID number may not be entered yet)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        raise PortalLoginRequired()
    try:
        session = read(settings.jwt_secret, raw)
        phone = pii.open(session.phone_sealed)
    except (PortalSessionMissing, SealedValueError, ValueError):
        raise PortalLoginRequired(expired=True) from None
    applicant = Applicant(phone, pii.digest(phone), session.id_digest, mask_phone(phone))
    request.state.applicant = applicant
    request.state.portal_session = session
    return applicant


PhoneApplicant = Annotated[Applicant, Depends(signed_in_phone)]


async def proved_applicant(applicant: PhoneApplicant) -> Applicant:
    """Phone AND ID number proved: the only applicant who sees any application."""
    if applicant.id_digest is None:
        raise IdentityRequired()
    return applicant


ProvedApplicant = Annotated[Applicant, Depends(proved_applicant)]
