"""The SMS gateway over HTTP: a template message as JSON, a receipt back, an API key header (like
the bank's). The provider's interface is the simulator's (simulators/sms/app.py)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from infra.settings import Settings
from infra.sms.base import DELIVERY_STATUSES, SmsGateway, SmsMessage, SmsRejected, SmsUnavailable

log = logging.getLogger("infra.sms")
API_KEY_HEADER = "X-Api-Key"


class HttpSmsGateway:
    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        timeout_seconds: float = 10.0,
        owns_client: bool = False,
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._headers = {API_KEY_HEADER: api_key}
        self._timeout = timeout_seconds
        self._owns_client = owns_client

    async def send(self, message: SmsMessage) -> str:
        what = f"短信 {message.message_id}"
        body = {
            "message_id": message.message_id,
            "phone": message.phone,
            "template": message.template,
            "params": dict(message.params),
        }
        response = await self._request("POST", f"{self._base}/v1/messages", f"发送{what}", json=body)
        self._check_status(response, what)
        receipt = _field(response, "receipt")
        if receipt is None:
            # The provider may have taken it: sending the same message_id again is safe and tells us.
            raise SmsUnavailable(f"短信平台对{what}的应答缺少回执号 / no receipt in the answer")
        log.info("SMS %s (template %s) taken: receipt %s", message.message_id, message.template, receipt)
        return receipt

    async def delivery(self, message_id: str) -> str:
        what = f"短信 {message_id} 的回执"
        response = await self._request("GET", f"{self._base}/v1/messages/{message_id}/report", f"查询{what}")
        if response.status_code == 404:
            raise SmsRejected(f"短信平台查无消息 {message_id}{_said(response)} / unknown message")
        self._check_status(response, what)
        status = _field(response, "status")
        if status not in DELIVERY_STATUSES:
            raise SmsUnavailable(f"短信平台返回的{what}无法识别 / unreadable delivery report")
        return status

    async def aclose(self) -> None:
        """Closes the HTTP client if this gateway made it; a shared client belongs to its owner."""
        if self._owns_client:
            await self._client.aclose()

    async def _request(self, method: str, url: str, doing: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(
                method, url, timeout=self._timeout, headers=self._headers, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise SmsUnavailable(
                f"{doing}：短信平台在 {self._timeout:g} 秒内未应答 / no answer within {self._timeout:g} s "
                f"({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise SmsUnavailable(
                f"{doing}：无法连接短信平台或连接中断 / connection failed ({type(exc).__name__})"
            ) from exc

    def _check_status(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        said = _said(response)
        if status == 429 or status >= 500:
            raise SmsUnavailable(
                f"短信平台暂时无法处理{what}（HTTP {status}{said}）/ temporarily unavailable"
            )
        if status in (401, 403):
            # Our own credentials, never the family's number: retried like an outage (the same
            # message_id), so the notices go out once an operator has corrected SMS_API_KEY.
            raise SmsUnavailable(
                f"短信平台拒绝了本系统的接口密钥（HTTP {status}{said}） "
                "/ the provider refused our API key: check SMS_API_KEY"
            )
        raise SmsRejected(f"短信平台拒绝了{what}（HTTP {status}{said}）/ refused")


def _field(response: httpx.Response, name: str) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _said(response: httpx.Response) -> str:
    """The provider's own words about an error, when its body carries them (never our params:
    the simulator's refusals name the parameter, not its value)."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return f"：{body.get('code', '')} {body['message'][:200]}"
    return ""


def make_sms_http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=settings.sms_timeout_seconds,
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=4),
        headers={"User-Agent": "social-assistance-notices/1"},
        follow_redirects=False,  # a redirect means a wrong base URL: reported, not followed
    )


def sms_gateway_from_settings(settings: Settings, client: httpx.AsyncClient | None = None) -> HttpSmsGateway:
    """The gateway for the worker's notices and the API's sign-in codes (settings `sms_base_url`,
    `sms_api_key`). Pass a shared client, or get one owned by the gateway (close it with
    `aclose()`). The return type is the HTTP gateway, which is an `SmsGateway`."""
    return HttpSmsGateway(
        client or make_sms_http_client(settings),
        settings.sms_base_url,
        settings.sms_api_key,
        timeout_seconds=settings.sms_timeout_seconds,
        owns_client=client is None,
    )


def _is_gateway(gateway: HttpSmsGateway) -> SmsGateway:
    return gateway  # mypy proves the HTTP gateway meets the contract
