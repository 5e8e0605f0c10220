"""Request bodies are bounded before anything reads them, authentication included (issue 16, item 2).

Driven at the ASGI level against create_app's real stack, so the test can count exactly how much of
the body the application pulled: an oversized body must be refused after at most the limit, not
read to the end and parsed before the 401.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.body_limit import CODEC_BODY_LIMIT_BYTES
from infra.settings import load_settings

LIMIT = 64 * 1024
CHUNK = 16 * 1024
CHUNKS = 400  # 6.4 MB in all: a hundred times the limit


@pytest_asyncio.fixture
async def app(sessions: async_sessionmaker[AsyncSession], sqlite_url: str) -> AsyncIterator[FastAPI]:
    settings = load_settings(database_url=sqlite_url, body_limit_bytes=LIMIT)
    # No request here reaches Temporal: a stand-in client is enough, and says so if one does.
    built = create_app(settings, session_factory=sessions, temporal_client=object())  # type: ignore[arg-type]
    async with built.router.lifespan_context(built):
        yield built


class Upload:
    """An ASGI receive() that streams `chunks` pieces of a JSON body and counts what was pulled."""

    def __init__(self, chunks: int, size: int = CHUNK) -> None:
        self.chunks = chunks
        self.size = size
        self.pulled = 0

    async def __call__(self) -> dict[str, Any]:
        if self.pulled >= self.chunks:
            return {"type": "http.disconnect"}
        self.pulled += 1
        piece = (
            b" " * self.size if self.pulled < self.chunks else b"{}".ljust(self.size)
        )  # valid JSON at the end
        return {"type": "http.request", "body": piece, "more_body": self.pulled < self.chunks}


async def call(
    app: FastAPI, path: str, upload: Upload, content_length: int | None
) -> tuple[int, dict[str, Any]]:
    headers = [(b"content-type", b"application/json"), (b"host", b"api.test")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("api.test", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, upload, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def _assert_refused(status: int, body: dict[str, Any]) -> None:
    assert status == 413
    assert body["code"] == "body_too_large"
    assert "请求内容过大" in body["message"]
    assert body["limit_bytes"] == LIMIT


async def test_an_oversized_declared_body_is_refused_before_a_byte_is_read(app: FastAPI) -> None:
    upload = Upload(CHUNKS)
    status, body = await call(app, "/api/v1/applications", upload, content_length=CHUNK * CHUNKS)
    _assert_refused(status, body)
    assert upload.pulled == 0


async def test_an_oversized_chunked_body_is_refused_once_it_passes_the_limit(app: FastAPI) -> None:
    upload = Upload(CHUNKS)
    status, body = await call(app, "/api/v1/applications", upload, content_length=None)
    _assert_refused(status, body)
    # Read up to the limit and one chunk past it, never the remaining megabytes.
    assert upload.pulled == LIMIT // CHUNK + 1


@pytest.mark.parametrize(
    "path", ["/api/v1/applications", "/api/v1/auth/token", "/ops/login", "/api/v1/codec/decode"]
)
async def test_every_path_has_the_limit(app: FastAPI, path: str) -> None:
    upload = Upload(CHUNKS, size=CODEC_BODY_LIMIT_BYTES // 16)  # past the codec's larger limit too
    status, body = await call(app, path, upload, content_length=None)
    assert status == 413 and body["code"] == "body_too_large"
    assert upload.pulled <= 17


async def test_a_body_within_the_limit_reaches_the_route_and_its_authentication(app: FastAPI) -> None:
    upload = Upload(1, size=LIMIT - 1)
    status, body = await call(app, "/api/v1/applications", upload, content_length=LIMIT - 1)
    assert (status, body["code"]) == (401, "not_authenticated")


async def test_the_codec_takes_larger_bodies_but_not_unbounded_ones(app: FastAPI) -> None:
    within = Upload(1, size=4 * LIMIT)
    status, body = await call(app, "/api/v1/codec/decode", within, content_length=4 * LIMIT)
    assert (status, body["code"]) == (401, "not_authenticated")
    status, body = await call(
        app, "/api/v1/codec/decode", Upload(CHUNKS), content_length=CODEC_BODY_LIMIT_BYTES + 1
    )
    assert status == 413 and body["limit_bytes"] == CODEC_BODY_LIMIT_BYTES
