"""The SMS provider simulator in process: one message per message_id, delivery reports, the admin
view of what a phone received, and the faults tests inject."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from simulators.sms import SmsState, create_sms_app

KEY = {"X-Api-Key": "dev-sms-key"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> SmsState:
    return SmsState(clock=clock)


@pytest_asyncio.fixture
async def sim(state: SmsState) -> AsyncIterator[httpx.AsyncClient]:
    app = create_sms_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sms") as client:
        yield client


def code_message(
    message_id: str = "login:1", phone: str = "13800001111", code: str = "123456"
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "phone": phone,
        "template": "verification_code",
        "params": {"code": code, "minutes": "5"},
    }


async def test_a_message_is_sent_once_per_message_id(sim: httpx.AsyncClient, state: SmsState) -> None:
    first = await sim.post("/v1/messages", json=code_message(), headers=KEY)
    again = await sim.post("/v1/messages", json=code_message(), headers=KEY)
    assert first.status_code == again.status_code == 202
    assert first.json()["receipt"] == again.json()["receipt"]
    sent = (await sim.get("/admin/messages", params={"phone": "13800001111"})).json()
    assert len(sent) == 1 and state.count() == 1
    assert (
        sent[0]["text"]
        == "【社会救助】您的验证码为123456，5分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。"
    )
    assert set(sent[0]) == {"message_id", "phone", "template", "text", "status", "sent_at"}


async def test_the_same_message_id_for_another_message_is_a_conflict(sim: httpx.AsyncClient) -> None:
    await sim.post("/v1/messages", json=code_message(code="111111"), headers=KEY)
    clash = await sim.post("/v1/messages", json=code_message(code="222222"), headers=KEY)
    assert clash.status_code == 409 and clash.json()["code"] == "message_conflict"


async def test_admin_lists_a_phones_messages_newest_first(sim: httpx.AsyncClient) -> None:
    for n in range(3):
        await sim.post("/v1/messages", json=code_message(f"login:{n}", code=f"00000{n}"), headers=KEY)
    await sim.post("/v1/messages", json=code_message("other", phone="13900002222"), headers=KEY)
    mine = (await sim.get("/admin/messages", params={"phone": "13800001111"})).json()
    assert [m["message_id"] for m in mine] == ["login:2", "login:1", "login:0"]
    assert len((await sim.get("/admin/messages")).json()) == 4


async def test_delivery_is_reported_after_the_delay_and_fails_for_a_marked_phone(
    sim: httpx.AsyncClient, state: SmsState, clock: Clock
) -> None:
    state.set_delivery_seconds(10)
    await sim.post("/admin/failing-phones", json={"phones": ["13900002222"]})
    await sim.post("/v1/messages", json=code_message("ok"), headers=KEY)
    await sim.post("/v1/messages", json=code_message("lost", phone="13900002222"), headers=KEY)

    async def status(message_id: str) -> str:
        answer = await sim.get(f"/v1/messages/{message_id}/report", headers=KEY)
        assert answer.status_code == 200
        result: str = answer.json()["status"]
        return result

    assert (await status("ok"), await status("lost")) == ("pending", "pending")
    clock.now += 10
    assert (await status("ok"), await status("lost")) == ("delivered", "failed")
    assert (await sim.get("/v1/messages/nothing/report", headers=KEY)).status_code == 404


@pytest.mark.parametrize(("kind", "status"), [("unavailable", 503), ("error", 500), ("rate_limited", 429)])
async def test_an_injected_fault_answers_once_and_sends_nothing(
    sim: httpx.AsyncClient, state: SmsState, kind: str, status: int
) -> None:
    await sim.post("/admin/faults", json={"kind": kind, "endpoint": "send"})
    assert (await sim.post("/v1/messages", json=code_message(), headers=KEY)).status_code == status
    assert state.count() == 0
    assert (await sim.post("/v1/messages", json=code_message(), headers=KEY)).status_code == 202


async def test_a_provider_taken_down_refuses_everything_until_up(
    sim: httpx.AsyncClient, state: SmsState
) -> None:
    await sim.put("/admin/down", json={"down": True})
    for _ in range(3):
        assert (await sim.post("/v1/messages", json=code_message(), headers=KEY)).status_code == 503
    await sim.put("/admin/down", json={"down": False})
    assert (await sim.post("/v1/messages", json=code_message(), headers=KEY)).status_code == 202


async def test_a_slow_answer_comes_after_the_message_was_taken(
    sim: httpx.AsyncClient, state: SmsState
) -> None:
    await sim.post("/admin/faults", json={"kind": "slow", "endpoint": "send", "sleep_seconds": 5})
    with pytest.raises(TimeoutError):  # in process: no socket timeout, the caller gives up instead
        await asyncio.wait_for(sim.post("/v1/messages", json=code_message(), headers=KEY), 0.3)
    assert state.count() == 1  # the caller never heard, but the provider has it: a retry sends nothing


async def test_refusals(sim: httpx.AsyncClient, state: SmsState) -> None:
    assert (
        await sim.post("/v1/messages", json=code_message(), headers={"X-Api-Key": "x"})
    ).status_code == 401
    bad_phone = await sim.post("/v1/messages", json=code_message(phone="1380000"), headers=KEY)
    assert bad_phone.json()["code"] == "invalid_phone"
    unknown = {**code_message(), "template": "nope"}
    assert (await sim.post("/v1/messages", json=unknown, headers=KEY)).json()["code"] == "invalid_template"
    leak = {
        "message_id": "leak",
        "phone": "13800001111",
        "template": "fraud_stop",
        "params": {"assistance": "低保", "reason": "440106199001011234", "stop_date": "12月1日"},
    }
    refused = await sim.post("/v1/messages", json=leak, headers=KEY)
    assert refused.status_code == 422 and refused.json()["code"] == "sensitive_param"
    assert "440106199001011234" not in refused.text
    assert state.count() == 0


async def test_reset_forgets_messages_and_faults(sim: httpx.AsyncClient, state: SmsState) -> None:
    await sim.post("/v1/messages", json=code_message(), headers=KEY)
    await sim.put("/admin/down", json={"down": True})
    await sim.post("/admin/reset")
    assert (await sim.get("/admin/messages")).json() == []
    assert (await sim.post("/v1/messages", json=code_message(), headers=KEY)).status_code == 202
