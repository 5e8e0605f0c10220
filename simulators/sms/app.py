"""The simulated SMS provider's interface, as a real one's (template code + parameters, a receipt,
a delivery report):

- `POST /v1/messages` JSON `{"message_id", "phone", "template", "params"}` → 202
  `{"message_id", "receipt", "status"}`. The message_id is the idempotency key: sent again with the
  same content it answers the same receipt and sends nothing.
- `GET /v1/messages/{message_id}/report` → `{"message_id", "receipt", "status"}` with status
  "pending" | "delivered" | "failed".

Errors are JSON `{"code", "message"}`: 401 bad key, 409 message_id reused for another message,
422 bad phone / unknown template / wrong or sensitive parameters, 404 unknown message; 503, 500,
429 and slow answers when injected.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Annotated

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from domain.sms_templates import SensitiveParam, TemplateError, render
from simulators.sms.admin import PHONE_PATTERN, admin_router
from simulators.sms.faults import Endpoint, FaultRequest
from simulators.sms.state import MessageConflict, SmsState

DEFAULT_API_KEY_HEADER = "X-Api-Key"
DEV_API_KEY = "dev-sms-key"  # infra.settings has the same default


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(min_length=1, max_length=128)
    phone: str
    template: str = Field(min_length=1, max_length=64)
    params: dict[str, Annotated[str, Field(max_length=1000)]] = Field(default_factory=dict)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def create_sms_app(
    state: SmsState | None = None,
    *,
    delivery_seconds: float = 0.0,
    api_keys: Iterable[str] = (DEV_API_KEY,),
    api_key_header: str = DEFAULT_API_KEY_HEADER,
) -> FastAPI:
    """The provider's HTTP service. A given `state` (shared with a test that inspects it) keeps its
    own delivery delay."""
    if state is None:
        state = SmsState(delivery_seconds=delivery_seconds)
    keys = frozenset(api_keys)
    app = FastAPI(
        title="短信平台模拟服务 · SMS provider simulator",
        description="模板短信发送与回执查询（模拟）；/admin 下为测试与演示用的管理接口（查看已发短信、注入故障）",
    )
    app.state.sms = state
    app.include_router(admin_router(state))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", "请求格式错误")

    async def refused(request: Request, endpoint: Endpoint) -> tuple[Response | None, FaultRequest | None]:
        """(an answer that ends the request, a fault to suffer after doing the work)."""
        if request.headers.get(api_key_header) not in keys:
            return _error(401, "invalid_api_key", "接口密钥无效或缺失"), None
        if state.faults.down:
            return _error(503, "unavailable", "短信平台暂不可用，请稍后重试"), None
        fault = state.faults.draw(endpoint)
        if fault is None:
            return None, None
        if fault.kind == "unavailable":
            return _error(503, "unavailable", "短信平台暂不可用，请稍后重试"), None
        if fault.kind == "error":
            return _error(500, "internal_error", "短信平台内部错误"), None
        if fault.kind == "rate_limited":
            return _error(429, "rate_limited", "请求过于频繁"), None
        if endpoint == "send" and fault.after_processing:
            return None, fault  # slow after taking the message
        await asyncio.sleep(fault.sleep_seconds)
        return None, None

    @app.get("/healthz", tags=["运行状态"])
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "messages": state.count(), "delivery_seconds": state.delivery_seconds}

    @app.post("/v1/messages", tags=["短信"], status_code=202, response_model=None)
    async def send(request: Request) -> Response:
        answer, late = await refused(request, "send")
        if answer is not None:
            return answer
        try:
            body = MessageIn.model_validate_json(await request.body())
        except ValueError:
            return _error(422, "invalid_request", "请求格式错误：应为 message_id、phone、template、params")
        if not re.match(PHONE_PATTERN, body.phone):
            return _error(422, "invalid_phone", "手机号码格式错误，应为 11 位数字")
        try:
            text = render(body.template, body.params)
        except SensitiveParam as exc:
            return _error(422, "sensitive_param", str(exc))
        except TemplateError as exc:
            return _error(422, "invalid_template", str(exc))
        try:
            receipt = state.send(body.message_id, body.phone, body.template, body.params, text)
        except MessageConflict:
            return _error(409, "message_conflict", f"消息编号 {body.message_id[:64]} 已用于另一条短信")
        if late is not None:
            await asyncio.sleep(late.sleep_seconds)  # the provider has it; the caller never hears so
        status = state.report(body.message_id) or "pending"
        return JSONResponse({"message_id": body.message_id, "receipt": receipt, "status": status}, 202)

    @app.get("/v1/messages/{message_id}/report", tags=["短信"], response_model=None)
    async def report(message_id: str, request: Request) -> Response:
        answer, _ = await refused(request, "report")
        if answer is not None:
            return answer
        status = state.report(message_id)
        if status is None:
            return _error(404, "message_not_found", f"查无消息 {message_id[:64]}")
        receipt = state.messages[message_id].receipt
        return JSONResponse({"message_id": message_id, "receipt": receipt, "status": status})

    return app
