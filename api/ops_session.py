"""The operator's browser session for the Temporal Web UI's codec calls.

The dev server's UI has no login of its own, so it cannot pass an access token to the codec
endpoint; what a browser can do is send a cookie with a cross-origin request ("include cross-origin
credentials"). An operator signs in once at /ops/login and gets this cookie: an HS256 token like the
bearer tokens, but with its own audience, so that it opens the codec endpoint and nothing else —
and a bearer token copied into the cookie is refused (and vice versa: PyJWT rejects a token that
carries an audience when none is expected).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

from api.auth import TokenExpired, TokenInvalid

COOKIE_NAME = "sa_ops_session"
AUDIENCE = "sa-ops-codec"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class OpsSession:
    username: str
    expires_at: datetime


def issue_ops_session(secret: str, username: str, ttl: timedelta, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": username,
        "aud": AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_ops_session(secret: str, token: str) -> OpsSession:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
        return OpsSession(str(claims["sub"]), datetime.fromtimestamp(int(claims["exp"]), UTC))
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise TokenInvalid() from exc


def set_session_cookie(response: Response, request: Request, token: str, ttl: timedelta) -> None:
    # HttpOnly: page scripts (the UI's included) never read it. SameSite=Lax: the UI calls the codec
    # from the same site (127.0.0.1 in development, a sibling host of one domain in production), so
    # the cookie goes with those calls but not with requests started by other sites. Secure whenever
    # the API is reached over HTTPS (behind a proxy, uvicorn trusts X-Forwarded-Proto only from
    # FORWARDED_ALLOW_IPS).
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(ttl.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
