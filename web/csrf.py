"""CSRF protection of every state-changing form of the staff pages (the checks of api/csrf.py:
the browser's Origin / Sec-Fetch-Site, and a synchroniser token double-submitted as a hidden form
field and an HttpOnly, SameSite=Strict cookie of the pages' own). A plain form works without script;
htmx requests send the same field, since they submit the same forms."""

from __future__ import annotations

from fastapi import Request, Response

from api.csrf import CSRF_FIELD, check_csrf, csrf_token, set_csrf_cookie
from web.session import COOKIE_PATH

CSRF_COOKIE = "sa_staff_csrf"

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "page_token", "remember_token", "require_csrf"]


def page_token(request: Request) -> str:
    """The token to write into this page's forms (the cookie's, or a new one)."""
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        token = csrf_token(request, CSRF_COOKIE)
        request.state.csrf_token = token
    return token


def remember_token(response: Response, request: Request) -> None:
    """Sets the cookie the page's forms' token must match (only when the page wrote one)."""
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is not None and request.cookies.get(CSRF_COOKIE) != token:
        set_csrf_cookie(response, request, token, cookie=CSRF_COOKIE, path=COOKIE_PATH)


async def require_csrf(request: Request) -> None:
    """Router dependency: every POST of the pages passes both checks before its route runs (the
    form is parsed once; Starlette keeps it for the route's own Form parameters)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    check_csrf(request, submitted if isinstance(submitted, str) else None, cookie=CSRF_COOKIE)
