"""The simulated bank's 代发 interface: `POST /v1/batches` takes a disbursement file (text/plain),
`GET /v1/batches/{batch_id}/result` answers its result file once the bank has run it.

Errors are JSON `{"code", "message"}`: 401 bad key, 409 batch id reused for other content, 415 not
text/plain, 422 malformed file, 404 unknown batch; 503, 504 and cut-off answers when injected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from domain.bank import DisbursementFile
from simulators.bank.admin import admin_router
from simulators.bank.faults import Endpoint, FaultRequest
from simulators.bank.state import DEV_PAYER_ACCOUNT, BankState, BatchConflict

DEFAULT_API_KEY_HEADER = "X-Api-Key"
DEV_API_KEY = "dev-bank-key"  # infra.settings has the same default


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def create_bank_app(
    state: BankState | None = None,
    *,
    processing_seconds: float = 0.0,
    payer_accounts: Iterable[str] = (DEV_PAYER_ACCOUNT,),
    api_keys: Iterable[str] = (DEV_API_KEY,),
    api_key_header: str = DEFAULT_API_KEY_HEADER,
) -> FastAPI:
    """The bank's HTTP service. `processing_seconds` and `payer_accounts` configure a new state;
    a given `state` (shared with a test that inspects it) keeps its own."""
    if state is None:
        state = BankState(processing_seconds=processing_seconds, payer_accounts=frozenset(payer_accounts))
    keys = frozenset(api_keys)
    app = FastAPI(
        title="银行代发模拟服务 · Bank disbursement simulator",
        description="代发文件提交与回盘查询（模拟）；/admin 下为测试用的管理接口",
    )
    app.state.bank = state
    app.include_router(admin_router(state))

    async def refused(request: Request, endpoint: Endpoint) -> tuple[Response | None, FaultRequest | None]:
        """(an answer that ends the request, a fault to suffer after doing the work)."""
        if request.headers.get(api_key_header) not in keys:
            return _error(401, "invalid_api_key", "接口密钥无效或缺失"), None
        fault = state.faults.draw(endpoint)
        if fault is None:
            return None, None
        if fault.kind == "unavailable":
            return _error(503, "unavailable", "银行系统暂不可用，请稍后重试"), None
        if fault.kind == "truncated" or (endpoint == "submit" and fault.after_processing):
            return None, fault
        await asyncio.sleep(fault.sleep_seconds)
        return _error(504, "timeout", "银行系统处理超时"), None

    @app.get("/healthz", tags=["运行状态"])
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "batches": len(state.batches), "processing_seconds": state.processing_seconds}

    @app.post("/v1/batches", tags=["代发"], status_code=202, response_model=None)
    async def submit(request: Request) -> Response:
        answer, late = await refused(request, "submit")
        if answer is not None:
            return answer
        if request.headers.get("content-type", "").split(";")[0].strip() != "text/plain":
            return _error(415, "unsupported_media_type", "代发文件应以 text/plain 提交")
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            return _error(422, "invalid_file", "代发文件应为 UTF-8 编码")
        try:
            file = DisbursementFile.parse(text)
        except ValueError as exc:
            return _error(422, "invalid_file", f"代发文件格式错误：{exc}")
        try:
            receipt = state.submit(file)
        except BatchConflict:
            return _error(409, "batch_conflict", f"批次号 {file.batch_id} 已用于内容不同的代发文件")
        answer = JSONResponse({"batch_id": file.batch_id, "receipt": receipt}, status_code=202)
        if late is not None and late.kind == "truncated":
            return Response(bytes(answer.body)[: len(answer.body) // 2], 202, media_type="application/json")
        if late is not None:
            # The bank has the file; the caller never hears so.
            await asyncio.sleep(late.sleep_seconds)
        return answer

    @app.get("/v1/batches/{batch_id}/result", tags=["代发"], response_model=None)
    async def result(batch_id: str, request: Request) -> Response:
        answer, late = await refused(request, "result")
        if answer is not None:
            return answer
        found = state.result(batch_id)
        if found is None:
            return _error(404, "batch_not_found", f"查无批次 {batch_id[:64]}")
        text = found.render()
        if late is not None:  # truncated: the header and the first half of the lines
            rows = text.split("\n")
            text = "\n".join(rows[: 1 + (len(rows) - 2) // 2]) + "\n"
        return PlainTextResponse(text)

    return app
