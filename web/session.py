"""The staff pages' browser session: a signed cookie for the same staff accounts as the API.

An HS256 token like the API's bearer tokens, with an audience of its own, so a bearer token copied
into the cookie (or this cookie used as a bearer token, or the operator's /ops cookie) is refused.
It carries a fingerprint of the password hash: changing the password ends every other session,
and a reset by the operator ends all of them. Role, region and "active" are read from the staff
table on every request (as the API does), so a change takes effect at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

COOKIE_NAME = "sa_staff_session"
AUDIENCE = "sa-staff-web"
COOKIE_PATH = "/staff"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class WebSession:
    username: str
    password_fingerprint: str
    expires_at: datetime


class SessionMissing(Exception):
    """No session, an expired one, or one that no longer matches its account."""


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_session(
    secret: str, username: str, password_hash: str, ttl: timedelta, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": username,
        "aud": AUDIENCE,
        "pwd": password_fingerprint(password_hash),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_session(secret: str, token: str) -> WebSession:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud", "pwd"]},
        )
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        return WebSession(str(claims["sub"]), str(claims["pwd"]), expires)
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise SessionMissing() from exc


def set_session_cookie(response: Response, request: Request, token: str, ttl: timedelta) -> None:
    # HttpOnly: no page script reads it. SameSite=Lax: sent when a user follows a link to a page,
    # not with another site's form posts. Secure whenever the pages are served over HTTPS.
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(ttl.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
