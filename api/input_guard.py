"""Refuses NUL characters anywhere in a request: path, query string or body.

PostgreSQL cannot store U+0000 in text (nor compare text with it), and one inside a free-text field
(an objection, a reason, a form's notes) would fail the activity that writes the timeline again and
again: the case would be stuck, not merely the request refused. SQLite stores it, so tests on SQLite
would never notice. No field of this product has a use for it, so it is refused at the edge, before
anything is read or written, as a validation error of the fields that carry it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from api.errors import ApiError

_MESSAGE = "含有不可见的控制字符（NUL），请删除后重新提交"


def _nul_fields(value: Any, path: str) -> list[str]:
    """Dotted paths (as in the API's other field errors) of the strings that carry U+0000."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _nul_fields(v, f"{path}.{i}" if path else str(i))]
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            found += [here] if "\x00" in str(key) else _nul_fields(item, here)
        return found
    return []


def _json_fields(body: bytes) -> list[str]:
    if b"\x00" in body:
        return ["body"]  # raw control bytes: not even valid JSON
    if b"\\u0000" not in body:  # the only way JSON text can carry U+0000
        return []
    try:
        return _nul_fields(json.loads(body), "")
    except ValueError:
        return ["body"]  # not JSON after all, and it carries the escape: refuse rather than guess


async def _fields_with_nul(request: Request) -> list[str]:
    found = ["path"] if "\x00" in request.scope["path"] else []  # the path as decoded by the server
    found += [k for k, v in request.query_params.multi_items() if "\x00" in k or "\x00" in v]
    if request.method in ("POST", "PUT", "PATCH"):
        if "form" in request.headers.get("content-type", ""):
            # Already parsed (and cached) by FastAPI for the route's Form fields: the raw stream is gone.
            form = await request.form()
            found += [k for k, v in form.multi_items() if "\x00" in k or (isinstance(v, str) and "\x00" in v)]
        else:
            found += _json_fields(await request.body())  # cached by Starlette: the route reads the same bytes
    return found


async def reject_nul_characters(request: Request) -> None:
    """An app-wide dependency: runs before every API route's own dependencies."""
    if fields := await _fields_with_nul(request):
        raise ApiError(
            422,
            "validation_error",
            "提交的数据有误，请按提示修改后重新提交",
            errors=[
                {"field": f.replace("\x00", "␀"), "type": "invalid_characters", "message": _MESSAGE}
                for f in fields
            ],
        )
