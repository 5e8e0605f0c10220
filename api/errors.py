"""Error responses: every 4xx carries a machine-readable `code` and a Chinese `message`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.messages import field_errors


class ApiError(Exception):
    """Raised by routes and services; rendered as {"code", "message", ...extra}."""

    def __init__(
        self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


def forbidden(message: str = "您无权办理此事项") -> ApiError:
    return ApiError(403, "forbidden", message)


_HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    404: ("not_found", "请求的接口不存在"),
    405: ("method_not_allowed", "该接口不支持此请求方法"),
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "code": "validation_error",
                "message": "提交的数据有误，请按提示修改后重新提交",
                "errors": field_errors(exc.errors()),
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing errors (unknown path, wrong method) get the same body shape as everything else.
        code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理"))
        return JSONResponse(
            status_code=exc.status_code,
            content={"code": code, "message": message},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"code": exc.code, "message": exc.message, **exc.extra},
            headers=exc.headers,
        )
