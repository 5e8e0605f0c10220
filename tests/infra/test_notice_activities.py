"""The notice activity against the served SMS simulator and the embedded database: a message per
business key, a full ID number refused before it leaves (recorded, shown to staff, never retried),
no phone on file, and an outage that fails the attempt for the workflow's retry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notices import NoticeActivities
from domain.notices import NoticeInput
from infra.models import SmsRecord
from infra.settings import load_settings
from infra.sms import HttpSmsGateway, sms_gateway_from_settings
from tests.factories import id_number, pii_vault, store_application
from tests.sms_sim import SmsSimulator

Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def gateway(sms_simulator: SmsSimulator) -> AsyncIterator[HttpSmsGateway]:
    gw = sms_gateway_from_settings(load_settings(sms_base_url=sms_simulator.url, sms_timeout_seconds=2.0))
    yield gw
    await gw.aclose()


async def a_case(sessions: Sessions, phone: str) -> str:
    number = f"440105-N{uuid.uuid4().hex[:10].upper()}"
    await store_application(sessions, number, datetime.now(UTC), applicant_phone=phone)
    return number


def phone() -> str:
    return "134" + f"{uuid.uuid4().int % 10**8:08d}"


def refusal(number: str, reasons: str) -> NoticeInput:
    params = {"assistance": "城乡低保", "application_number": number, "reasons": reasons}
    return NoticeInput(f"{number}:refused", number, "refused", params)


async def test_one_message_per_business_key(
    sessions: Sessions, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    to = phone()
    number = await a_case(sessions, to)
    activities = NoticeActivities(sessions, gateway, pii_vault())
    first = await ActivityEnvironment().run(activities.send_notice, refusal(number, "收入超过标准"))
    again = await ActivityEnvironment().run(activities.send_notice, refusal(number, "收入超过标准"))
    assert first.outcome == again.outcome == "sent"
    assert [m["message_id"] for m in sms_simulator.messages(to)] == [f"{number}:refused"]


async def test_a_full_id_number_in_a_parameter_is_refused_before_it_leaves(
    sessions: Sessions, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    to = phone()
    number = await a_case(sessions, to)
    leaked = id_number(seq=555)
    result = await ActivityEnvironment().run(
        NoticeActivities(sessions, gateway, pii_vault()).send_notice, refusal(number, f"户主{leaked}隐瞒收入")
    )
    assert result.outcome == "refused" and leaked not in result.detail
    assert sms_simulator.messages(to) == []
    async with sessions() as session:
        row = await session.get(SmsRecord, f"{number}:refused")
    assert row is not None and row.status == "refused" and leaked not in row.detail + row.text


async def test_a_number_the_provider_refuses_is_told_to_staff_in_chinese_only(
    sessions: Sessions, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    number = await a_case(sessions, "12345")  # no mobile number: the provider answers 422
    result = await ActivityEnvironment().run(
        NoticeActivities(sessions, gateway, pii_vault()).send_notice, refusal(number, "收入超过标准")
    )
    assert result.outcome == "refused" and result.detail.startswith("短信平台拒绝了")
    assert result.detail.endswith("）") and "/ refused" not in result.detail  # the timeline's words


async def test_an_outage_fails_the_attempt_for_a_retry_and_is_recorded(
    sessions: Sessions, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    to = phone()
    number = await a_case(sessions, to)
    sms_simulator.state.faults.down = True
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(
            NoticeActivities(sessions, gateway, pii_vault()).send_notice, refusal(number, "收入超过标准")
        )
    assert failed.value.type == "SmsUnavailable" and not failed.value.non_retryable
    async with sessions() as session:
        row = await session.get(SmsRecord, f"{number}:refused")
    assert row is not None and row.status == "unavailable"


async def test_without_a_gateway_nothing_is_sent_or_recorded(sessions: Sessions) -> None:
    number = await a_case(sessions, phone())
    result = await ActivityEnvironment().run(
        NoticeActivities(sessions, None, pii_vault()).send_notice, refusal(number, "收入超过标准")
    )
    assert result.outcome == "disabled"
    async with sessions() as session:
        assert await session.get(SmsRecord, f"{number}:refused") is None


async def test_a_message_the_provider_reports_undelivered_at_once_is_told_as_such(
    sessions: Sessions, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    to = phone()
    number = await a_case(sessions, to)
    sms_simulator.state.fail_delivery([to])
    result = await ActivityEnvironment().run(
        NoticeActivities(sessions, gateway, pii_vault()).send_notice, refusal(number, "收入超过标准")
    )
    assert result.outcome == "undelivered" and "未送达" in result.detail
    async with sessions() as session:
        row = await session.get(SmsRecord, f"{number}:refused")
    assert row is not None and row.status == "failed"


async def test_a_delivered_message_is_recorded_delivered(
    sessions: Sessions, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    number = await a_case(sessions, phone())
    await ActivityEnvironment().run(
        NoticeActivities(sessions, gateway, pii_vault()).send_notice, refusal(number, "收入超过标准")
    )
    async with sessions() as session:
        row = await session.get(SmsRecord, f"{number}:refused")
    assert row is not None and row.status == "delivered"
