"""The bank gateway over HTTP: the 代发 file as text/plain, the result file back, an API key header."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from domain.bank import BatchResult, DisbursementFile
from infra.bank.base import BankBatchUnknown, BankRejected, BankUnavailable
from infra.settings import Settings

log = logging.getLogger("infra.bank")
API_KEY_HEADER = "X-Api-Key"


class HttpBankGateway:
    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        timeout_seconds: float = 30.0,
        owns_client: bool = False,
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._headers = {API_KEY_HEADER: api_key}
        self._timeout = timeout_seconds
        self._owns_client = owns_client

    async def submit(self, file: DisbursementFile) -> str:
        started = time.monotonic()
        body = file.render().encode("utf-8")
        response = await self._send(
            "POST",
            f"{self._base}/v1/batches",
            f"提交代发批次 {file.batch_id}",
            content=body,
            headers={**self._headers, "content-type": "text/plain; charset=utf-8"},
        )
        what = f"代发批次 {file.batch_id}"
        self._check_status(response, what)
        try:
            answer: Any = response.json()
            receipt = answer["receipt"]
        except (ValueError, KeyError, TypeError):
            receipt = None
        if not isinstance(receipt, str) or not receipt:
            # The bank may have taken the file: resubmitting the same batch is safe and tells us.
            raise BankUnavailable(f"银行对{what}的应答缺少回执号 / no receipt in the answer")
        log.info(
            "bank took batch %s (%d lines, %d fen): receipt %s in %.0f ms",
            file.batch_id,
            len(file.lines),
            file.total_fen,
            receipt,
            (time.monotonic() - started) * 1000,
        )
        return receipt

    async def result(self, batch_id: str) -> BatchResult:
        what = f"代发批次 {batch_id} 的回盘"
        response = await self._send(
            "GET", f"{self._base}/v1/batches/{batch_id}/result", f"查询{what}", headers=self._headers
        )
        if response.status_code == 404:
            raise BankBatchUnknown(f"银行查无代发批次 {batch_id}{_said(response)} / unknown batch")
        self._check_status(response, what)
        try:
            result = BatchResult.parse(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BankUnavailable(f"银行返回的{what}无法解析：{exc} / unreadable result") from None
        if result.batch_id != batch_id:
            raise BankUnavailable(
                f"银行返回了另一批次（{result.batch_id}）的回盘 / the result is for another batch"
            )
        return result

    async def aclose(self) -> None:
        """Closes the HTTP client if this gateway made it; a shared client belongs to its owner."""
        if self._owns_client:
            await self._client.aclose()

    async def _send(self, method: str, url: str, doing: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, url, timeout=self._timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise BankUnavailable(
                f"{doing}：银行在 {self._timeout:g} 秒内未应答 / no answer within {self._timeout:g} s "
                f"({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise BankUnavailable(
                f"{doing}：无法连接银行或连接中断 / connection failed ({type(exc).__name__})"
            ) from exc

    def _check_status(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        said = _said(response)
        if status == 429 or status >= 500:
            raise BankUnavailable(f"银行暂时无法处理{what}（HTTP {status}{said}）/ temporarily unavailable")
        if status in (401, 403):
            raise BankRejected(
                f"银行拒绝了接口密钥（HTTP {status}{said}），请检查 BANK_API_KEY 配置，重试无效 "
                "/ the bank refused our API key"
            )
        raise BankRejected(f"银行拒绝了{what}（HTTP {status}{said}）/ refused")


def _said(response: httpx.Response) -> str:
    """The bank's own words about an error, when its body carries them."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return f"：{body.get('code', '')} {body['message'][:200]}"
    return ""


def make_bank_http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=settings.bank_timeout_seconds,
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=4),
        headers={"User-Agent": "social-assistance-payroll/1"},
        follow_redirects=False,  # a redirect means a wrong base URL: reported, not followed
    )


def make_bank_gateway(settings: Settings, client: httpx.AsyncClient | None = None) -> HttpBankGateway:
    """The gateway the worker gives the payroll activities. Pass the worker's shared client, or get
    one owned by the gateway (close it with `aclose()`)."""
    return HttpBankGateway(
        client or make_bank_http_client(settings),
        settings.bank_base_url,
        settings.bank_api_key,
        timeout_seconds=settings.bank_timeout_seconds,
        owns_client=client is None,
    )
