"""/api/v1/codec — the remote codec the Temporal Web UI calls to show payloads decrypted.

Temporal's protocol: POST {"payloads": [{"metadata": {k: base64}, "data": base64}]} to /decode or
/encode, answered in the same shape. Only operators may decrypt: everyone else (and the UI without
an operator's token) sees ciphertext.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from temporalio.api.common.v1 import Payload

from api.deps import require_roles
from domain.staff import Actor, Role
from infra.codec import EncryptionCodec, parse_keys

router = APIRouter(prefix="/api/v1/codec", tags=["运维"])

Operator = Annotated[Actor, Depends(require_roles(Role.OPERATOR))]


def _codec(request: Request) -> EncryptionCodec:
    settings = request.app.state.settings
    return EncryptionCodec(parse_keys(settings.payload_keys), settings.payload_active_key)


def _from_json(body: dict[str, Any]) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in (p.get("metadata") or {}).items()},
            data=base64.b64decode(p.get("data") or ""),
        )
        for p in body.get("payloads", [])
    ]


def _to_json(payloads: list[Payload]) -> dict[str, Any]:
    return {
        "payloads": [
            {"metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
             "data": base64.b64encode(p.data).decode()}
            for p in payloads
        ]
    }  # fmt: skip


@router.post("/decode", summary="解密载荷（仅运维人员，供 Temporal UI 调用）")
async def decode(request: Request, _: Operator) -> dict[str, Any]:
    return _to_json(await _codec(request).decode(_from_json(await request.json())))


@router.post("/encode", summary="加密载荷（仅运维人员）")
async def encode(request: Request, _: Operator) -> dict[str, Any]:
    return _to_json(await _codec(request).encode(_from_json(await request.json())))
