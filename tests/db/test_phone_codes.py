"""SMS one-time codes (services/phone_codes.py, issue 14): the limits per minute, hour and client
address, expiry, the 5 tries, single use and the purposes — with an injected clock and a gateway
that records what it was asked to send. Runs on SQLite and on PostgreSQL (marker db)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_session_factory
from infra.models import AuditEntry, PhoneCode
from infra.pii import make_pii_vault
from infra.settings import Settings
from infra.sms.base import SmsMessage, SmsRejected, SmsUnavailable
from services.errors import ApiError
from services.phone_codes import PhoneCodePolicy, PhoneCodeService

pytestmark = pytest.mark.db

_numbers = itertools.count(1)


def phone() -> str:
    return f"139{next(_numbers):08d}"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recorder:
    """An SmsGateway that keeps what it was asked to send; `fail` raises once per send."""

    def __init__(self) -> None:
        self.sent: list[SmsMessage] = []
        self.fail: list[Exception] = []

    async def send(self, message: SmsMessage) -> str:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append(message)
        return f"receipt-{message.message_id}"

    async def delivery(self, message_id: str) -> str:
        return "delivered"

    def code_for(self, number: str) -> str:
        return [m for m in self.sent if m.phone == number][-1].params["code"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sms() -> Recorder:
    return Recorder()


@pytest.fixture
def service(migrated: AsyncEngine, sms: Recorder, clock: Clock) -> PhoneCodeService:
    return PhoneCodeService(make_session_factory(migrated), sms, clock, pii=make_pii_vault(Settings()))


async def test_a_code_is_six_digits_sent_once_verified_once_and_stored_hashed(
    service: PhoneCodeService, sms: Recorder, migrated: AsyncEngine
) -> None:
    number = phone()
    await service.request(number, "portal_sign_in", "10.0.0.1")
    [message] = sms.sent
    assert message.template == "verification_code" and message.phone == number
    assert message.params["minutes"] == "5" and len(message.params["code"]) == 6
    assert message.params["code"].isdigit()
    async with make_session_factory(migrated)() as session:
        [row] = list(await session.scalars(select(PhoneCode)))
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "phone_code.sent"))
        )
    assert message.params["code"] not in row.code_digest and number not in row.phone_digest
    assert row.message_id == message.message_id
    assert [e.target_id for e in entries] == [number[:3] + "****" + number[-4:]]

    assert await service.verify(number, "portal_sign_in", message.params["code"]) is True
    with pytest.raises(ApiError) as again:  # single use
        await service.verify(number, "portal_sign_in", message.params["code"])
    assert again.value.status_code == 422 and again.value.code == "code_expired"


async def test_one_code_a_minute_then_a_new_one_with_its_own_message_id(
    service: PhoneCodeService, sms: Recorder, clock: Clock
) -> None:
    number = phone()
    await service.request(number, "portal_sign_in", "10.0.0.2")
    clock.advance(seconds=30)
    with pytest.raises(ApiError) as soon:
        await service.request(number, "objection", "10.0.0.3")  # any purpose, any address
    assert soon.value.status_code == 429 and soon.value.code == "code_too_frequent"
    assert "30 秒" in soon.value.message and soon.value.headers == {"Retry-After": "30"}
    clock.advance(seconds=30)
    await service.request(number, "portal_sign_in", "10.0.0.2")
    first, second = sms.sent
    assert first.message_id != second.message_id
    # the new code replaces the old one
    with pytest.raises(ApiError):
        await service.verify(number, "portal_sign_in", first.params["code"])
    assert await service.verify(number, "portal_sign_in", second.params["code"])


async def test_five_codes_an_hour_per_number(service: PhoneCodeService, sms: Recorder, clock: Clock) -> None:
    number = phone()
    for _ in range(5):
        await service.request(number, "portal_sign_in", f"10.0.1.{len(sms.sent)}")
        clock.advance(minutes=2)
    with pytest.raises(ApiError) as hourly:
        await service.request(number, "portal_sign_in", "10.0.1.9")
    assert hourly.value.status_code == 429 and hourly.value.code == "code_hourly_limit"
    assert "分钟" in hourly.value.message
    assert len(sms.sent) == 5
    clock.advance(minutes=51)  # the first code leaves the hour
    await service.request(number, "portal_sign_in", "10.0.1.9")
    assert len(sms.sent) == 6


async def test_one_address_may_not_flood_many_numbers(
    migrated: AsyncEngine, sms: Recorder, clock: Clock
) -> None:
    service = PhoneCodeService(
        make_session_factory(migrated),
        sms,
        clock,
        pii=make_pii_vault(Settings()),
        policy=PhoneCodePolicy(ip_max_per_hour=3),
    )
    for _ in range(3):
        await service.request(phone(), "objection", "10.9.9.9")
    with pytest.raises(ApiError) as throttled:
        await service.request(phone(), "objection", "10.9.9.9")
    assert throttled.value.status_code == 429 and throttled.value.code == "code_ip_throttled"
    await service.request(phone(), "objection", "10.9.9.10")  # another address is not held
    assert len(sms.sent) == 4


async def test_a_code_expires_after_five_minutes(
    service: PhoneCodeService, sms: Recorder, clock: Clock
) -> None:
    number = phone()
    await service.request(number, "portal_sign_in", "10.0.2.1")
    clock.advance(minutes=4, seconds=59)
    assert await service.verify(number, "portal_sign_in", sms.code_for(number))
    other = phone()
    await service.request(other, "portal_sign_in", "10.0.2.1")
    clock.advance(minutes=5)
    with pytest.raises(ApiError) as late:
        await service.verify(other, "portal_sign_in", sms.code_for(other))
    assert late.value.code == "code_expired" and "过期" in late.value.message


async def test_the_fifth_wrong_try_kills_the_code(service: PhoneCodeService, sms: Recorder) -> None:
    number = phone()
    await service.request(number, "portal_sign_in", "10.0.3.1")
    right = sms.code_for(number)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ApiError) as guess:
            await service.verify(number, "portal_sign_in", wrong)
        assert guess.value.status_code == 422 and f"还可以再试 {left} 次" in guess.value.message
    with pytest.raises(ApiError) as fifth:
        await service.verify(number, "portal_sign_in", wrong)
    assert fifth.value.status_code == 429 and fifth.value.code == "code_attempts_exceeded"
    with pytest.raises(ApiError) as sixth:  # even the right code: the code is dead
        await service.verify(number, "portal_sign_in", right)
    assert sixth.value.status_code == 429 and "重新获取" in sixth.value.message


async def test_parallel_guesses_get_no_more_than_five_comparisons(
    service: PhoneCodeService, sms: Recorder
) -> None:
    number = phone()
    await service.request(number, "portal_sign_in", "10.0.4.1")
    right = sms.code_for(number)
    guesses = [f"{(int(right) + i) % 1_000_000:06d}" for i in range(1, 21)] + [right]

    async def attempt(code: str) -> int:
        try:
            await service.verify(number, "portal_sign_in", code)
            return 200
        except ApiError as refusal:
            return refusal.status_code

    results = await asyncio.gather(*(attempt(g) for g in guesses))
    assert results.count(422) <= 5 and 200 not in results  # the right code came after the limit


async def test_a_code_for_sign_in_does_not_verify_an_objection(
    service: PhoneCodeService, sms: Recorder
) -> None:
    number = phone()
    await service.request(number, "portal_sign_in", "10.0.5.1")
    with pytest.raises(ApiError) as other_purpose:
        await service.verify(number, "objection", sms.code_for(number))
    assert other_purpose.value.code == "code_expired"
    assert await service.verify(number, "portal_sign_in", sms.code_for(number))


async def test_bad_numbers_and_provider_refusals(service: PhoneCodeService, sms: Recorder) -> None:
    with pytest.raises(ApiError) as bad:
        await service.request("1234", "portal_sign_in", "10.0.6.1")
    assert bad.value.status_code == 422 and bad.value.extra["errors"][0]["field"] == "phone"
    assert sms.sent == []
    full_width = "１３９００００７７７７"
    await service.request(full_width, "portal_sign_in", "10.0.6.1")
    assert sms.sent[-1].phone == "13900007777"

    number = phone()
    sms.fail = [SmsUnavailable("timeout")]
    await service.request(number, "portal_sign_in", "10.0.6.2")  # retried with the same message
    assert sms.sent[-1].phone == number

    rejected = phone()
    sms.fail = [SmsRejected("empty number")]
    with pytest.raises(ApiError) as refused:
        await service.request(rejected, "portal_sign_in", "10.0.6.3")
    assert refused.value.code == "phone_rejected"
