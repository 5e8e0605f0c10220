"""Error responses: every 4xx carries a machine-readable `code` and a Chinese `message`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# Pydantic error type → Chinese message. `{ctx_key}` placeholders come from the error's ctx.
_MESSAGES: dict[str, str] = {
    "missing": "必填项缺失",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数（金额以分为单位）",
    "bool_type": "应为是/否（true/false）",
    "bool_parsing": "应为是/否（true/false）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum": "取值无效，可选值：{expected}",
    "literal_error": "取值无效，可选值：{expected}",
    "string_pattern_mismatch": "格式不正确",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "too_short": "至少需要{min_length}项",
    "too_long": "最多{max_length}项",
    "greater_than_equal": "不能小于{ge}",
    "greater_than": "必须大于{gt}",
    "less_than_equal": "不能大于{le}",
    "less_than": "必须小于{lt}",
    "extra_forbidden": "不允许的字段",
    "datetime_parsing": "日期时间格式不正确",
    "datetime_type": "应为日期时间",
    "date_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（YYYY-MM-DD）",
    "json_invalid": "请求体不是合法的 JSON",
    "decimal_parsing": "应为数字",
    "float_parsing": "应为数字",
    "uuid_parsing": "格式不正确",
}


class ApiError(Exception):
    """Raised by routes and services; rendered as {"code", "message", ...extra}."""

    def __init__(self, status_code: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.extra = extra


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def chinese_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind in ("value_error", "assertion_error"):
        msg = str(error.get("msg", ""))
        return msg.split(", ", 1)[1] if msg.startswith(("Value error, ", "Assertion failed, ")) else msg
    template = _MESSAGES.get(kind)
    if template is None:
        return "取值无效"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：，")


def validation_errors(errors: Any) -> list[dict[str, str]]:
    return [
        {
            "field": _field_path(tuple(e.get("loc", ()))),
            "type": e.get("type", ""),
            "message": chinese_message(e),
        }
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "code": "validation_error",
                "message": "提交的数据有误，请按提示修改后重新提交",
                "errors": validation_errors(exc.errors()),
            },
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"code": exc.code, "message": exc.message, **exc.extra}
        )
