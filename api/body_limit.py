"""Request bodies bounded in the ASGI stack, before anything reads them (issue 16).

Without it an unauthenticated 400 MB JSON body to /api/v1/applications was read and parsed before
the 401: FastAPI reads and parses a route's body before it resolves the route's dependencies, the
authentication among them. This middleware sits outside every route, so the refusal comes first:

- a declared Content-Length above the limit is answered 413 at once, before a byte is received;
- a body without one (chunked) is counted as it streams, and refused as soon as it passes the limit:
  the rest is never read, so one request costs at most the limit in memory.

The limit is BODY_LIMIT_BYTES (infra/settings.py, about 1 MB: the largest intake — thirty members,
fifty materials, a 2,000-character reason — is well under 100 KB). Paths that need more get their
own limit (the codec: the Temporal UI sends a page of history payloads at once). The reverse proxy
should refuse large bodies too (README, "Security"): this is the last line, not the only one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CODE = "body_too_large"
# The Temporal UI decodes a page of history at once, and one payload may be up to 2 MB (Temporal's
# default blob size limit): the codec gets room for several.
CODEC_BODY_LIMIT_BYTES = 16 * 1024 * 1024
# The public objection form carries one evidence file of up to 5 MB (domain/evidence_files.py):
# room for it and for most phone photos above it, so a too-large photo is told so beside its field
# (the form's own check) rather than by this middleware's bare 413.
PUBLIC_UPLOAD_BODY_LIMIT_BYTES = 12 * 1024 * 1024


def _message(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return f"请求内容过大（上限 {size}），请精简后重新提交"


class _TooLarge(Exception):
    """Raised from receive() once the streamed body passes the limit."""


class BodyLimit:
    """Pure ASGI middleware: `limit` bytes for every request, `larger` for paths under a prefix."""

    def __init__(self, app: ASGIApp, limit: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.larger.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(str(scope.get("path", "")))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # Whatever the app made of the interrupted read (FastAPI turns an error while reading
                # the body into a 400), the answer is ours: the 413, sent below.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        if exceeded and not started:
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {"code": CODE, "message": _message(limit), "limit_bytes": limit}, ensure_ascii=False
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The unread rest of the body is not drained: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
