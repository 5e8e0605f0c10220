"""Error responses: every 4xx carries a machine-readable `code` and a Chinese `message`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.messages import field_errors
from infra.db import database_unreachable
from services.errors import ApiError, forbidden

__all__ = ["COMMON_ERRORS", "ApiError", "ErrorOut", "FieldErrorOut", "forbidden", "install_error_handlers"]


class FieldErrorOut(BaseModel):
    field: str
    type: str
    message: str


class ErrorOut(BaseModel):
    """Every error body. Some errors add fields (e.g. the application number of a saved intake)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="机器可读的错误代码")
    message: str = Field(description="中文说明")
    errors: list[FieldErrorOut] | None = Field(default=None, description="字段级错误")


# Answers any signed-in route can give, documented once for all of them (routes add their own).
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "请求内容无法解析（如不是有效的 UTF-8 或 JSON）"},
    401: {"model": ErrorOut, "description": "未登录，或登录已过期、无效"},
    403: {"model": ErrorOut, "description": "角色不符或不在管辖范围内"},
    413: {"model": ErrorOut, "description": "请求内容过大（body_too_large，见 api/body_limit.py）"},
    422: {"model": ErrorOut, "description": "数据校验失败（字段级中文提示）"},
}

# The database down or restarting: nothing may have been done, or the last write may have been
# committed just before the connection broke. Sending the same request again is safe either way
# (application numbers and Idempotency-Key make a repeat a no-op), and the message says so.
DATABASE_UNAVAILABLE = "数据库暂时不可用，请稍后重试；原样重新提交不会重复办理"
DATABASE_RETRY_AFTER_SECONDS = 5

_HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("malformed_request", "请求内容无法解析，请检查格式（如 JSON、文字编码）后重新提交"),
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

    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        if not database_unreachable(exc):
            raise exc  # a fault in a statement or in the data: the 500 it is
        return JSONResponse(
            status_code=503,
            content={"code": "database_unavailable", "message": DATABASE_UNAVAILABLE},
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    # Both: asyncpg raises its connect failures unwrapped (connection refused, timeouts).
    app.add_exception_handler(DBAPIError, _database_down)
    app.add_exception_handler(OSError, _database_down)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"code": exc.code, "message": exc.message, **exc.extra},
            headers=exc.headers,
        )
