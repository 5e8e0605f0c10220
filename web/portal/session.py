"""The portal's session: a signed cookie of its own name, path and audience.

What it proves (item 5 of issue 14): the phone (an SMS code was verified for it at sign-in) and,
once entered, the applicant's ID number. The phone travels sealed (AES-GCM, infra/pii) and the ID
number only as its keyed digest: the cookie is readable base64, and must not carry them in clear.
A staff cookie (audience sa-staff-web), an API bearer token or an edited cookie is refused: the
signature or the audience does not match. Short-lived: 30 minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

COOKIE_NAME = "sa_portal_session"
AUDIENCE = "sa-portal-web"
COOKIE_PATH = "/portal"
TTL = timedelta(minutes=30)
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class PortalSession:
    phone_sealed: str
    id_digest: str | None
    session_id: str
    expires_at: datetime


class PortalSessionMissing(Exception):
    """No session, an expired one, or one that fails its signature or audience."""


def issue(
    secret: str, phone_sealed: str, id_digest: str | None, now: datetime | None = None, sid: str | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": "applicant",
        "aud": AUDIENCE,
        "ph": phone_sealed,
        "idd": id_digest or "",
        "sid": sid or secrets.token_urlsafe(12),
        "iat": int(issued.timestamp()),
        "exp": int((issued + TTL).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read(secret: str, token: str) -> PortalSession:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud", "ph", "sid"]},
        )
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        return PortalSession(
            str(claims["ph"]), str(claims.get("idd") or "") or None, str(claims["sid"]), expires
        )
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise PortalSessionMissing() from exc


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(TTL.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
