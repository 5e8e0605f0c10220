"""Staff authentication: password checks (scrypt, from infra.passwords) and HS256 access tokens.

Pure functions over bytes and strings (no database, no FastAPI). The password hashing itself lives
in infra/passwords.py, so that infra/seed.py hashes the demo passwords with the same code that
checks them at login without infra importing the API; it is re-exported here for the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from domain.staff import Role
from infra.passwords import burn_password_check, hash_password, verify_password

__all__ = [
    "TokenClaims",
    "TokenExpired",
    "TokenInvalid",
    "burn_password_check",
    "hash_password",
    "issue_token",
    "read_token",
    "verify_password",
]

_ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: Role
    region_code: str
    issued_at: datetime
    expires_at: datetime


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def issue_token(
    secret: str, username: str, role: Role, region_code: str, ttl: timedelta, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": username,
        "role": role.value,
        "region": region_code,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(secret: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp", "iat", "role", "region"]},
        )
        return TokenClaims(
            username=str(claims["sub"]),
            role=Role(claims["role"]),
            region_code=str(claims["region"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise TokenInvalid() from exc
