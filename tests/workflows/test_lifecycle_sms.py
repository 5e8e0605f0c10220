"""Notices to an enrolled household by SMS: the re-review appointment, the exit notice a month
ahead, and the fraud stop — each once, on the household's timeline, no full ID number in them."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select

from domain.beneficiary import BeneficiaryStatus, FraudFinding, ReportFraudInput
from domain.sms_templates import contains_full_number
from domain.tasks import TaskType
from infra.models import BeneficiaryEvent
from infra.settings import load_settings
from infra.sms import HttpSmsGateway, sms_gateway_from_settings
from tests.conftest import BankSimulator
from tests.sms_sim import SmsSimulator
from tests.workflows.harness import Sessions, beijing
from tests.workflows.lifecycle_support import closed, exit_notice, new_county, re_review, world_at
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow


@pytest_asyncio.fixture
async def gateway(sms_simulator: SmsSimulator) -> AsyncIterator[HttpSmsGateway]:
    gw = sms_gateway_from_settings(load_settings(sms_base_url=sms_simulator.url, sms_timeout_seconds=2.0))
    yield gw
    await gw.aclose()


def new_phone() -> str:
    return "135" + f"{uuid.uuid4().int % 10**8:08d}"


async def sms_events(sessions: Sessions, number: str) -> list[BeneficiaryEvent]:
    async with sessions() as session:
        rows = await session.scalars(
            select(BeneficiaryEvent)
            .where(BeneficiaryEvent.application_number == number, BeneficiaryEvent.kind == "sms_sent")
            .order_by(BeneficiaryEvent.seq)
        )
        return list(rows)


async def test_re_review_appointment_exit_notice_and_their_texts(
    sessions: Sessions, bank_simulator: BankSimulator, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    county = await new_county(sessions)
    number = f"{county.code}-M{random.randint(0, 10**6):06d}"
    phone = new_phone()
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county, sms=gateway) as world:
        life = await world.enrol_directly(number, "B", 100_000, "2027-01", phone=phone)
        await world.advance_to(beijing(2027, 7, 5, 10))  # class B: July's re-review
        await life.task(TaskType.RE_REVIEW)
        await life.complete(
            TaskType.RE_REVIEW, county.investigator, "exit",
            re_review("2027-07-02", "稳定就业", exit_notice=exit_notice()),
        )  # fmt: skip
        await life.until(lambda v: v.status is BeneficiaryStatus.EXITING)
        async with asyncio.timeout(30):  # the notice follows the status change
            while len(events := await sms_events(sessions, number)) < 2:
                await asyncio.sleep(0.1)
    messages = list(reversed(sms_simulator.messages(phone)))
    assert [m["template"] for m in messages] == ["rereview_appointment", "exit_notice"]
    assert "2027年7月31日前上门核实" in messages[0]["text"]
    assert "家庭成员已稳定就业" in messages[1]["text"] and "起停止发放" in messages[1]["text"]
    assert [e.data["template"] for e in events] == ["rereview_appointment", "exit_notice"]
    assert not any(contains_full_number(m["text"]) for m in messages)


async def test_a_fraud_stop_is_told_once(
    sessions: Sessions, bank_simulator: BankSimulator, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    county = await new_county(sessions)
    number = f"{county.code}-Q{random.randint(0, 10**6):06d}"
    phone = new_phone()
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county, sms=gateway) as world:
        life = await world.enrol_directly(number, "C", 100_000, "2027-01", phone=phone)
        finding = FraudFinding(
            findings="隐瞒经营性收入：经营网店，月收入约6000元",
            since_month="2027-01",
            policy_basis="《社会救助暂行办法》第六十八条",
        )
        await life.handle.execute_update(
            BeneficiaryWorkflow.report_fraud, ReportFraudInput(finding, county.approver)
        )
        await closed(life.handle)
    messages = sms_simulator.messages(phone)
    assert [m["template"] for m in messages] == ["fraud_stop"]
    assert "因隐瞒经营性收入：经营网店，月收入约6000元自" in messages[0]["text"]
    assert "多领的救助金将依法追回" in messages[0]["text"]
