"""CORS for the codec endpoint only: the Temporal Web UI (another origin) calls it from the browser.

Only the configured UI origins (TEMPORAL_UI_ORIGINS) are allowed, with credentials — the
operator's session cookie — so never a wildcard. Every other route of the API stays same-origin:
no browser page elsewhere may read its answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

# What the UI sends (ui-server 2.42: POST, Content-Type and X-Namespace; Authorization when it is
# set to pass an access token).
ALLOWED_HEADERS = ("content-type", "x-namespace", "authorization")


class _RefusingCORS(CORSMiddleware):
    """Starlette's CORS, but a refused preflight answers like every other refusal of the API."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        return JSONResponse(
            status_code=403,
            content={
                "code": "cors_refused",
                "message": "不允许从该网页来源调用解密接口，请在配置的 Temporal UI 中使用",
            },
            headers={"Vary": "Origin"},
        )


class CodecCORS:
    """ASGI middleware applying CORS to paths under `prefix` and passing everything else through."""

    def __init__(self, app: ASGIApp, prefix: str, origins: Sequence[str]) -> None:
        if "*" in origins:  # the settings refuse it too; credentials with a wildcard would leak plaintext
            raise ValueError("a wildcard origin cannot be combined with credentials")
        self.app = app
        self.prefix = prefix
        self.cors = _RefusingCORS(
            app,
            allow_origins=list(origins),
            allow_methods=["POST"],
            allow_headers=list(ALLOWED_HEADERS),
            allow_credentials=True,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
