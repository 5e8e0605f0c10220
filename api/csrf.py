"""Cross-site request forgery (CSRF) protection for the routes a browser authenticates with a cookie.

Only /ops (the operator's login form, its sign-out) and the codec endpoint accept the operator's
session cookie; every other route takes a bearer token, which a foreign page cannot make a browser
send. A foreign page could, however, post a form to POST /ops/logout (signing the operator out) or
to POST /ops/login (signing the browser into the attacker's account). So a state change by cookie
must pass two checks:

1. Where it comes from. Browsers say it: Sec-Fetch-Site (same-origin for our own form) and Origin
   (our own origin, or "null" under our pages' no-referrer policy). A request that says cross-site
   or same-site (another port or host of the site, the Temporal UI included), or that names
   another origin, is refused.
2. A token only our page knows (synchroniser token, double-submitted): GET /ops/login sets a random
   value in an HttpOnly, SameSite=Strict cookie scoped to /ops and writes the same value into its
   forms; the POST must bring both, equal. A foreign page can neither read the cookie nor the page.

A request with no Origin, no Sec-Fetch-Site and no Cookie header is not a browser's (scripts,
`curl`): it carries no ambient credential to abuse, so it needs no token — but it cannot sign
anyone's browser in or out either.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from api.errors import ApiError

CSRF_COOKIE = "sa_ops_csrf"
CSRF_FIELD = "csrf_token"
_PATH = "/ops"
_ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})  # none: typed by the user, a bookmark


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _is_browser(request: Request) -> bool:
    return any(h in request.headers for h in ("origin", "sec-fetch-site", "cookie"))


def check_same_origin(request: Request) -> None:
    """Refuse a request the browser marks as coming from another site or origin."""
    fetch_site = request.headers.get("sec-fetch-site")
    # "null": our own pages send no referrer (Referrer-Policy: no-referrer), so a browser posting
    # their forms says Origin: null; Sec-Fetch-Site and the token still tell our page from another.
    origin = request.headers.get("origin")
    if (fetch_site is not None and fetch_site not in _ALLOWED_FETCH_SITES) or (
        origin not in (None, "null") and origin != own_origin(request)
    ):
        raise ApiError(403, "cross_site_request", "拒绝来自其他网站的请求：请在本系统的页面上操作")


def check_csrf(request: Request, submitted: str | None, cookie: str = CSRF_COOKIE) -> None:
    """Both checks of the module docstring, for a cookie-authenticated state change. `cookie` names
    the token's cookie: /ops has its own, the staff pages (web/) theirs."""
    check_same_origin(request)
    if not _is_browser(request):
        return
    expected = request.cookies.get(cookie)
    if not expected or not submitted or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise ApiError(403, "csrf_token_invalid", "页面已过期或来源无法确认，请刷新登录页后重试")


def csrf_token(request: Request, cookie: str = CSRF_COOKIE) -> str:
    """The browser's token: the one its cookie holds, or a new one (set it with set_csrf_cookie)."""
    current = request.cookies.get(cookie, "")
    return current if 32 <= len(current) <= 64 and current.isascii() else secrets.token_urlsafe(32)


def set_csrf_cookie(
    response: Response, request: Request, token: str, cookie: str = CSRF_COOKIE, path: str = _PATH
) -> None:
    response.set_cookie(
        cookie,
        token,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
