"""/api/v1/codec — the remote codec the Temporal Web UI calls to show payloads decrypted.

Temporal's protocol: POST {"payloads": [{"metadata": {k: base64}, "data": base64}]} to /decode or
/encode, answered in the same shape. Only operators may decrypt: everyone else (and the UI without
an operator's credentials) sees ciphertext. An operator decrypts only the workflows of the
operator's own jurisdiction; a provincial operator any county's (the provincial view). Each payload
names its workflow (infra/codec.py, services/codec_scope.py); a request with any payload outside
the caller's reach is refused whole (403). Every decryption and every refusal is audited. The caller
proves it is an operator with either

- a bearer token (CLI, scripts: `temporal workflow show --codec-endpoint … --codec-auth "Bearer …"`), or
- the operator's browser session cookie from /ops/login (the Web UI, which has no login to pass a
  token: it sends the cookie when "include cross-origin credentials" is on),

and nothing else. This router is mounted without the app-wide bearer requirement for that reason;
CORS for the UI's origins is api/codec_cors.py.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordBearer
from google.protobuf.message import DecodeError
from pydantic import BaseModel, Field
from sqlalchemy import select
from temporalio.api.common.v1 import Payload

from api.auth import TokenExpired, TokenInvalid
from api.deps import TOKEN_URL, AuditDep, SessionsDep, SettingsDep, current_staff
from api.errors import ApiError, forbidden
from api.ops_session import COOKIE_NAME, read_ops_session
from domain.staff import Actor, Role
from infra.codec import ENCODING, KEY_ID, EncryptionCodec, UnknownKey, parse_keys, workflow_id_of
from infra.models import Staff
from services.audit import AuditTrail, Target
from services.codec_scope import UNLABELLED, codec_scope

PREFIX = "/api/v1/codec"
router = APIRouter(prefix=PREFIX, tags=["运维"])

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
CODEC_ROLES = frozenset({Role.OPERATOR, Role.PROVINCIAL_OPERATOR})
# An audit entry names at most this many workflows (a history page decodes one; a script may send more).
_AUDITED_WORKFLOWS = 20
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_LOGIN_HINT = "运维人员请先在 /ops/login 登录，或使用访问令牌"


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=_CHALLENGE)


async def _session_staff(request: Request, settings: SettingsDep, sessions: SessionsDep) -> Actor:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        raise _unauthorized("not_authenticated", f"请先登录：{_LOGIN_HINT}")
    # A cookie goes with any request to this host, so a page of another origin on the same site could
    # make the browser POST here: accept the cookie only from the configured UI (or this API itself).
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    # The UI is on the same site (see api/ops_session.py): a request the browser marks cross-site is
    # another site's page, whatever Origin it claims or omits.
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or (origin is not None and origin != own and origin not in settings.temporal_ui_origins):
        raise ApiError(403, "origin_not_allowed", "不允许从该网页来源使用运维登录会话")
    try:
        session = read_ops_session(settings.jwt_secret, raw)
    except TokenExpired:
        raise _unauthorized("invalid_token", f"运维登录已过期：{_LOGIN_HINT}") from None
    except TokenInvalid:
        raise _unauthorized("invalid_token", f"运维登录凭证无效：{_LOGIN_HINT}") from None
    async with sessions() as db:
        staff = await db.scalar(select(Staff).where(Staff.username == session.username))
    if staff is None or not staff.active:
        raise _unauthorized("invalid_token", "账号不存在或已停用，请重新登录")
    # The role comes from the staff table, as for bearer tokens: a demoted operator loses access at once.
    return Actor(staff.username, staff.display_name, Role(staff.role), staff.region_code)


async def codec_operator(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    token: Annotated[str | None, Depends(_bearer)],
) -> Actor:
    """The operator calling the codec: a bearer token when one is sent, otherwise the session cookie."""
    if token:
        actor = await current_staff(settings, sessions, token)
    else:
        actor = await _session_staff(request, settings, sessions)
    if actor.role not in CODEC_ROLES:
        raise forbidden("解密数据仅限运维监控人员")
    return actor


Operator = Annotated[Actor, Depends(codec_operator)]


class CodecPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, description="值为 base64")
    data: str = Field(default="", description="base64")


class CodecBody(BaseModel):
    payloads: list[CodecPayload] = Field(max_length=10_000)


def _codec(request: Request) -> EncryptionCodec:
    settings = request.app.state.settings
    return EncryptionCodec(parse_keys(settings.payload_keys), settings.payload_active_key)


def _from_json(body: CodecBody) -> list[Payload]:
    try:
        return [
            Payload(
                metadata={k: base64.b64decode(v, validate=True) for k, v in p.metadata.items()},
                data=base64.b64decode(p.data, validate=True),
            )
            for p in body.payloads
        ]
    except ValueError:  # binascii.Error, and non-ASCII text (which b64decode refuses before decoding)
        raise ApiError(422, "validation_error", "载荷不是有效的 base64 编码") from None


def _to_json(payloads: list[Payload]) -> dict[str, Any]:
    return {
        "payloads": [
            {"metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
             "data": base64.b64encode(p.data).decode()}
            for p in payloads
        ]
    }  # fmt: skip


async def _check_scope(
    payloads: list[Payload], actor: Actor, sessions: SessionsDep, trail: AuditTrail
) -> Callable[[int], Awaitable[object]]:
    """Refuse (403, audited) unless every encrypted payload belongs to a workflow the actor may see
    decrypted. Returns the audit of the decryption, to record with its status once it is done.
    Plain payloads need no permission (and no audit entry)."""
    sealed = [workflow_id_of(p) for p in payloads if p.metadata.get("encoding") == ENCODING]
    if not sealed:
        return _nothing_to_audit
    scope = await codec_scope(sessions, actor, sealed)
    counties = sorted({c for c in scope.counties.values() if c})
    workflows = sorted(w for w in scope.counties if w != UNLABELLED)
    single = workflows[0] if len(workflows) == 1 and UNLABELLED not in scope.counties else None
    target = Target("workflow", single, region_code=scope.counties.get(single or "") or None)
    detail: dict[str, Any] = {
        "payloads": len(sealed),
        "workflows": workflows[:_AUDITED_WORKFLOWS],
        "counties": counties,
        "unlabelled": UNLABELLED in scope.counties,
        "view": "province" if scope.provincial else "jurisdiction",
    }
    if scope.outside:
        await trail.record(actor, "codec.refused", target, status_code=403, detail=detail)
        unlabelled = UNLABELLED in scope.outside
        named = [w for w in scope.outside if w != UNLABELLED][:5]
        reasons = ([f"{'、'.join(named)} 不在您的管辖范围内"] if named else []) + (
            ["部分载荷未标明所属工作流（升级前加密）"] if unlabelled else []
        )
        raise ApiError(
            403,
            "outside_jurisdiction",
            f"只能解密本辖区工作流的数据：{'；'.join(reasons)}。全省视图请由省级运维监控人员查看",
        )
    return lambda status: trail.record(actor, "codec.decode", target, status_code=status, detail=detail)


async def _nothing_to_audit(status: int) -> None:
    return None


@router.post("/decode", summary="解密载荷（仅运维人员，本辖区；省级运维人员全省；供 Temporal UI 调用）")
async def decode(
    request: Request, body: CodecBody, operator: Operator, sessions: SessionsDep, trail: AuditDep
) -> dict[str, Any]:
    payloads = _from_json(body)
    audit = await _check_scope(payloads, operator, sessions, trail)
    try:
        decoded = _to_json(await _codec(request).decode(payloads))
    except UnknownKey:
        await audit(422)
        # A retired key removed too early: the operator must see which one, not a server error.
        configured = request.app.state.settings.payload_keys
        missing = sorted(
            {p.metadata.get(KEY_ID, b"").decode(errors="replace") for p in payloads} - set(configured)
        )
        raise ApiError(
            422, "unknown_payload_key", f"载荷所用的密钥未配置（PAYLOAD_KEYS）：{'、'.join(missing)}"
        ) from None
    except (InvalidTag, DecodeError):
        await audit(422)  # e.g. a payload relabelled to a workflow of the caller's county
        raise ApiError(422, "undecryptable_payload", "载荷无法解密：数据已损坏或密钥不符") from None
    await audit(200)
    return decoded


@router.post("/encode", summary="加密载荷（仅运维人员）")
async def encode(request: Request, body: CodecBody, _: Operator) -> dict[str, Any]:
    return _to_json(await _codec(request).encode(_from_json(body)))
