"""The `Idempotency-Key` header of the action routes: a retried request is one action, not two.

A client that got no answer (a 503, a dropped connection) sends the same request again with the
same key. On the routes that act on a case through a workflow Update, the key becomes the Update's
id, scoped by the action, its target, the caller and the request body, so Temporal runs the action
once and answers the retry with the first outcome (an objection counted once; a claim that
succeeded answers 200 again, not 409). Two users, or two different requests, never share an id,
whatever keys they choose. The other action routes are idempotent by their business key already
(the application number, a receipt number, the order key, a replaced record); they accept and
check the header so a client can send it everywhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from api.errors import ApiError

HEADER = "Idempotency-Key"
MAX_LENGTH = 128  # a UUID is 36; room for a client's own prefix, not for a document

_DESCRIPTION = (
    "幂等键（可选）：同一操作重试时携带相同的值（如 UUID），只办理一次并返回首次的结果；"
    f"1至{MAX_LENGTH}个可见ASCII字符"
)


def _idempotency_key(
    key: Annotated[str | None, Header(alias=HEADER, description=_DESCRIPTION)] = None,
) -> str | None:
    if key is None:
        return None
    # Header values arrive decoded as Latin-1: any byte above 0x7F shows up as a non-ASCII char.
    if not 1 <= len(key) <= MAX_LENGTH or not all("!" <= c <= "~" for c in key):
        raise ApiError(
            422,
            "invalid_idempotency_key",
            f"{HEADER} 须为1至{MAX_LENGTH}个可见ASCII字符（不含空格，如 UUID），请更正后重试",
        )
    return key


IdempotencyKey = Annotated[str | None, Depends(_idempotency_key)]
