"""Refuses NUL characters anywhere in a request: path, query string or body.

PostgreSQL cannot store U+0000 in text, and one inside a free-text field (an objection, a reason,
a form's notes) would fail the activity that writes the timeline again and again: the case would be
stuck, not merely the request refused. SQLite stores it, so the tests would never notice. No field
of this product has a use for it, so it is refused at the edge, before anything is read or written.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from api.errors import ApiError

_MESSAGE = "提交的内容含有不可见的控制字符（NUL），请删除后重新提交"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def _json_has_nul(body: bytes) -> bool:
    if b"\\u0000" not in body:  # the only way JSON can carry U+0000 (raw control bytes are invalid)
        return False
    try:
        return _has_nul(json.loads(body))
    except ValueError:
        return True  # not JSON after all, and it carries the escape: refuse rather than guess


async def reject_nul_characters(request: Request) -> None:
    """An app-wide dependency: runs before every API route's own dependencies."""
    query = request.url.query
    found = "\x00" in request.scope["path"] or "%00" in query or "\x00" in query  # path: decoded
    if not found and request.method in ("POST", "PUT", "PATCH"):
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            # Already parsed (and cached) by FastAPI for the route's Form fields: the raw stream is gone.
            form = await request.form()
            found = any(_has_nul(k) or _has_nul(v) for k, v in form.multi_items())
        else:
            body = await request.body()  # cached by Starlette: the route reads the same bytes
            found = b"\x00" in body or _json_has_nul(body)
    if found:
        raise ApiError(422, "invalid_characters", _MESSAGE)
