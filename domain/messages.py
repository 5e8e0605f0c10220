"""Chinese messages for validation errors, shared by the API edge and the workflow validators."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

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
    "dataclass_type": "应为对象",
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
    "datetime_from_date_parsing": "日期时间格式不正确",
    "date_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（YYYY-MM-DD）",
    "json_invalid": "请求体不是合法的 JSON",
    "decimal_parsing": "应为数字",
    "float_parsing": "应为数字",
    "uuid_parsing": "格式不正确",
    "url_parsing": "网址格式不正确",
}


def chinese_message(error: Any) -> str:
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


def field_path(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def field_errors(errors: Any) -> list[dict[str, str]]:
    """Pydantic errors → [{"field", "type", "message"}] with Chinese messages."""
    items = errors.errors() if isinstance(errors, ValidationError) else errors
    return [
        {
            "field": field_path(tuple(e.get("loc", ()))),
            "type": e.get("type", ""),
            "message": chinese_message(e),
        }
        for e in items
    ]
