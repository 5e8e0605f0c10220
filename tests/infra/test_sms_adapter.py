"""The HTTP SMS gateway against the real simulator on a socket: a receipt, the same receipt for the
same message_id (nothing sent twice, even after a lost answer), delivery reports, and each failure
sorted into retry (SmsUnavailable) or not (SmsRejected)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from infra.settings import load_settings
from infra.sms import HttpSmsGateway, SmsMessage, SmsRejected, SmsUnavailable, sms_gateway_from_settings
from simulators.sms import FaultRequest
from tests.sms_sim import SmsSimulator


def phone() -> str:
    return "139" + f"{uuid.uuid4().int % 10**8:08d}"


def code(to: str, key: str | None = None) -> SmsMessage:
    return SmsMessage(
        key or f"login:{uuid.uuid4().hex}", to, "verification_code", {"code": "246810", "minutes": "5"}
    )


@pytest_asyncio.fixture
async def gateway(sms_simulator: SmsSimulator) -> AsyncIterator[HttpSmsGateway]:
    gw = sms_gateway_from_settings(load_settings(sms_base_url=sms_simulator.url, sms_timeout_seconds=1.0))
    yield gw
    await gw.aclose()


async def test_a_message_reaches_the_phone_once(gateway: HttpSmsGateway, sms_simulator: SmsSimulator) -> None:
    to = phone()
    message = code(to)
    receipt = await gateway.send(message)
    assert await gateway.send(message) == receipt
    sent = sms_simulator.messages(to)
    assert len(sent) == 1 and "246810" in sent[0]["text"]
    assert await gateway.delivery(message.message_id) == "delivered"


async def test_a_lost_answer_then_a_retry_sends_nothing_twice(
    gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    to = phone()
    sms_simulator.state.faults.add(FaultRequest(kind="slow", endpoint="send", sleep_seconds=3))
    message = code(to)
    with pytest.raises(SmsUnavailable, match="未应答"):
        await gateway.send(message)
    await gateway.send(message)
    assert len(sms_simulator.messages(to)) == 1


@pytest.mark.parametrize("kind", ["unavailable", "error", "rate_limited"])
async def test_provider_errors_are_retryable(
    gateway: HttpSmsGateway, sms_simulator: SmsSimulator, kind: str
) -> None:
    sms_simulator.state.faults.add(FaultRequest(kind=kind, endpoint="send"))  # type: ignore[arg-type]
    with pytest.raises(SmsUnavailable):
        await gateway.send(code(phone()))


async def test_a_provider_down_is_retryable_and_a_closed_port_too(
    gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    sms_simulator.state.faults.down = True
    with pytest.raises(SmsUnavailable):
        await gateway.send(code(phone()))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    nowhere = sms_gateway_from_settings(load_settings(sms_base_url=f"http://127.0.0.1:{closed}"))
    with pytest.raises(SmsUnavailable, match="无法连接"):
        await nowhere.send(code(phone()))
    await nowhere.aclose()


async def test_refusals_are_not_retried(gateway: HttpSmsGateway, sms_simulator: SmsSimulator) -> None:
    with pytest.raises(SmsRejected):
        await gateway.send(
            SmsMessage(f"x:{uuid.uuid4().hex}", "12345", "verification_code", {"code": "1", "minutes": "5"})
        )
    with pytest.raises(SmsRejected):
        await gateway.send(SmsMessage(f"x:{uuid.uuid4().hex}", phone(), "no_such_template", {}))
    key = f"x:{uuid.uuid4().hex}"
    await gateway.send(code(phone(), key))
    with pytest.raises(SmsRejected, match="另一条"):
        await gateway.send(code(phone(), key))  # the same business key for another phone
    wrong_key = sms_gateway_from_settings(load_settings(sms_base_url=sms_simulator.url, sms_api_key="wrong"))
    # Our own key refused is no fault of the number: retried like an outage, never "bad number".
    with pytest.raises(SmsUnavailable, match="接口密钥"):
        await wrong_key.send(code(phone()))
    await wrong_key.aclose()
    with pytest.raises(SmsRejected):
        await gateway.delivery(f"never:{uuid.uuid4().hex}")


async def test_a_failing_phone_reports_failed_delivery(
    gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    to = phone()
    sms_simulator.state.fail_delivery([to])
    message = code(to)
    await gateway.send(message)
    assert await gateway.delivery(message.message_id) == "failed"
