"""Cross-site request forgery against the cookie-authenticated routes (issue 16, item 8): a foreign
page could sign the operator out with a form posting to /ops/logout (or sign the browser into
another account through /ops/login). Requests are sent with the headers a browser sets."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from api.csrf import CSRF_COOKIE
from api.ops_session import COOKIE_NAME
from infra.models import AuditEntry
from infra.seed import DEMO_PASSWORD
from tests.e2e.support import Sessions

OWN = "http://api.test"  # the API's own origin in these tests
PAGE = {"Accept": "text/html"}
CROSS_SITE = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
SAME_ORIGIN = {"Origin": OWN, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}


def _cookies(**values: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in values.items())}


async def _form(api: httpx.AsyncClient, cookies: dict[str, str] | None = None) -> tuple[str, str]:
    """GET the login page as a browser: (the token in its forms, the CSRF cookie it set)."""
    page = await api.get("/ops/login", headers={**PAGE, **(cookies or {})})
    api.cookies.clear()
    assert page.status_code == 200
    [token] = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
    return token, page.cookies.get(CSRF_COOKIE) or token


async def _signed_in(api: httpx.AsyncClient) -> tuple[str, str, str]:
    """A browser that signed in through the form: (session cookie, CSRF cookie, form token)."""
    token, csrf = await _form(api)
    response = await api.post(
        "/ops/login",
        data={"username": "operator_haizhu", "password": DEMO_PASSWORD, "csrf_token": token},
        headers={**PAGE, **SAME_ORIGIN, **_cookies(**{CSRF_COOKIE: csrf})},
    )
    api.cookies.clear()
    assert response.status_code == 303, response.text
    return response.cookies[COOKIE_NAME], csrf, token


def _clears_session(response: httpx.Response) -> bool:
    return any(
        h.startswith(f"{COOKIE_NAME}=") and "max-age=0" in h.lower()
        for h in response.headers.get_list("set-cookie")
    )


async def test_a_cross_site_post_cannot_sign_the_operator_out(api: httpx.AsyncClient) -> None:
    session, csrf, token = await _signed_in(api)
    browser = _cookies(**{COOKIE_NAME: session, CSRF_COOKIE: csrf})  # what the browser sends along

    # A form on another site, posted by the operator's browser: no token (the page cannot read it).
    forged = await api.post("/ops/logout", headers={**PAGE, **CROSS_SITE, **browser})
    assert forged.status_code == 403 and "其他网站" in forged.text
    assert not _clears_session(forged)
    as_json = await api.post("/ops/logout", headers={**CROSS_SITE, **browser})
    assert as_json.status_code == 403 and as_json.json()["code"] == "cross_site_request"
    # Even a token would not help a foreign page, and neither would a sibling host of the site
    # (the Temporal UI's origin included).
    sibling = {"Origin": "http://127.0.0.1:8233", "Sec-Fetch-Site": "same-site"}
    for headers in (CROSS_SITE, sibling, {"Sec-Fetch-Site": "cross-site"}):
        refused = await api.post("/ops/logout", data={"csrf_token": token}, headers={**headers, **browser})
        assert refused.status_code == 403 and not _clears_session(refused), headers
    # From our own page but without the page's token (or with another): refused.
    for data in ({}, {"csrf_token": "x" * 43}):
        refused = await api.post("/ops/logout", data=data, headers={**SAME_ORIGIN, **browser})
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_token_invalid"
        assert not _clears_session(refused)

    # The session still opens the login page as signed in …
    page = await api.get("/ops/login", headers={**PAGE, **browser})
    assert "已登录：何俊杰" in page.text
    # … and the page's own sign-out button works.
    [logout_token] = re.findall(
        r'action="/ops/logout"><input type="hidden" name="csrf_token" value="([^"]+)"', page.text
    )
    assert logout_token == token  # the browser's token, the one in its cookie
    out = await api.post(
        "/ops/logout", data={"csrf_token": logout_token}, headers={**PAGE, **SAME_ORIGIN, **browser}
    )
    assert out.status_code == 303 and _clears_session(out)


async def test_a_cross_site_post_cannot_sign_the_browser_into_an_account(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    async def issued() -> int:
        async with sessions() as session:
            count = await session.scalar(
                select(func.count()).where(
                    AuditEntry.action == "ops_session.issued", AuditEntry.actor_username == "operator_haizhu"
                )
            )
            return int(count or 0)

    before = await issued()
    credentials = {"username": "operator_haizhu", "password": DEMO_PASSWORD}
    forged = await api.post("/ops/login", data=credentials, headers={**PAGE, **CROSS_SITE})
    assert forged.status_code == 403 and COOKIE_NAME not in forged.cookies
    token, csrf = await _form(api)
    stale = await api.post(  # our origin, but a token that does not match the browser's cookie
        "/ops/login",
        data={**credentials, "csrf_token": token},
        headers={**SAME_ORIGIN, **_cookies(**{CSRF_COOKIE: "y" * 43})},
    )
    assert stale.status_code == 403 and stale.json()["code"] == "csrf_token_invalid"
    assert COOKIE_NAME not in stale.cookies and await issued() == before  # no session, no password check

    signed = await api.post(
        "/ops/login",
        data={**credentials, "csrf_token": token},
        headers={**SAME_ORIGIN, **_cookies(**{CSRF_COOKIE: csrf})},
    )
    api.cookies.clear()
    assert signed.status_code == 200 and COOKIE_NAME in signed.cookies
    assert await issued() == before + 1


async def test_the_login_page_sets_a_strict_token_cookie_and_keeps_it(api: httpx.AsyncClient) -> None:
    page = await api.get("/ops/login", headers=PAGE)
    api.cookies.clear()
    cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith(f"{CSRF_COOKIE}="))
    for attribute in ("httponly", "samesite=strict", "path=/ops"):
        assert attribute in cookie.lower(), cookie
    token, csrf = await _form(api)
    assert token == csrf  # the form carries what the cookie holds
    again, _ = await _form(api, _cookies(**{CSRF_COOKIE: csrf}))
    assert again == csrf  # one token per browser: two open tabs both work


async def test_the_codec_refuses_a_cross_site_request_with_the_session_cookie(api: httpx.AsyncClient) -> None:
    session, _, _ = await _signed_in(api)
    response = await api.post(
        "/api/v1/codec/decode",
        json={"payloads": []},
        headers={**_cookies(**{COOKIE_NAME: session}), "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403 and response.json()["code"] == "origin_not_allowed"
    same_site_ui = {"Origin": "http://127.0.0.1:8233", "Sec-Fetch-Site": "same-site"}
    ok = await api.post(
        "/api/v1/codec/decode",
        json={"payloads": []},
        headers={**_cookies(**{COOKIE_NAME: session}), **same_site_ui},
    )
    assert ok.status_code == 200, ok.text
