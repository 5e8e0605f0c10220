"""Notices to the applicant by SMS, through the real simulator on a socket and the time-skipping
server: one message per event, the approval with its amount and first month, the refusal with its
reasons (its delivery completes the refusal-notice task), an outage retried and then shown to staff,
and never a full ID number in a text."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import select

from domain.enums import AssistanceType, Stage
from domain.notices import month_words, yuan
from domain.sms_templates import contains_full_number
from domain.tasks import TaskType
from infra.models import SmsRecord, Task
from infra.settings import load_settings
from infra.sms import HttpSmsGateway, sms_gateway_from_settings
from simulators.sms import FaultRequest
from tests.factories import id_number
from tests.sms_sim import SmsSimulator
from tests.workflows.harness import (
    APPROVER,
    CLERK,
    HEAD,
    REVIEWER,
    Sessions,
    approval,
    beijing,
    case_at,
    limit,
    notice,
    reasons,
    to_approval,
)
from tests.workflows.test_emergency import paperwork, rescue

APPLICANT_ID = id_number(seq=101)  # what store_application seals for every test case


@pytest_asyncio.fixture
async def gateway(sms_simulator: SmsSimulator) -> AsyncIterator[HttpSmsGateway]:
    gw = sms_gateway_from_settings(load_settings(sms_base_url=sms_simulator.url, sms_timeout_seconds=2.0))
    yield gw
    await gw.aclose()


def new_phone() -> str:
    return "137" + f"{uuid.uuid4().int % 10**8:08d}"


async def until(check: object, within: float = 60.0) -> None:
    async with asyncio.timeout(within):
        while not await check():  # type: ignore[operator]
            await asyncio.sleep(0.1)


def templates(sms: SmsSimulator, phone: str) -> list[str]:
    return [m["template"] for m in reversed(sms.messages(phone))]  # oldest first


async def test_an_approved_case_tells_every_step_and_the_approval_once_with_amount_and_first_month(
    sessions: Sessions, application_number: str, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    phone = new_phone()
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, sms=gateway, phone=phone
    ) as case:
        await to_approval(case)
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        result = await case.handle.result()
        assert result.final_stage is Stage.APPROVED
        await case.idle()
        start_month = (await case.events("approved"))[0].data["start_month"]
        sent_events = await case.events("sms_sent")

    # One message per event (the first two leave together, beside the case: in either order).
    sent = templates(sms_simulator, phone)
    assert sorted(sent[:2]) == ["application_accepted", "stage_investigation"]
    assert sent[2:] == ["stage_publicity", "stage_approval", "approved"]
    messages = sms_simulator.messages(phone)
    approved = [m for m in messages if m["template"] == "approved"]
    assert len(approved) == 1
    assert f"每月{yuan(291_000)}元" in approved[0]["text"]
    assert f"自{month_words(start_month)}起发放" in approved[0]["text"]
    assert application_number in approved[0]["text"]
    assert next(m for m in messages if m["template"] == "stage_publicity")["text"].count("公示至") == 1
    # Every message on the case's timeline, none with an ID number or account in it.
    assert sorted(e.data["message_id"] for e in sent_events) == sorted(m["message_id"] for m in messages)
    for message in messages:
        assert APPLICANT_ID not in message["text"] and not contains_full_number(message["text"])
    async with sessions() as session:
        rows = (
            await session.scalars(select(SmsRecord).where(SmsRecord.application_number == application_number))
        ).all()
    assert {r.template for r in rows} == set(templates(sms_simulator, phone))
    assert all(r.status in ("sent", "delivered") for r in rows)


async def test_a_refusal_by_sms_delivered_completes_the_refusal_notice_task_within_its_limit(
    sessions: Sessions, application_number: str, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    phone = new_phone()
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, sms=gateway, phone=phone
    ) as case:
        await to_approval(case)
        await case.complete(
            TaskType.COUNTY_APPROVAL, APPROVER, "reject", reasons("核实后家庭人均收入超过当地低保标准")
        )
        # Nobody completes the task: the delivery report does.
        result = await asyncio.wait_for(case.handle.result(), 60)
        assert result.final_stage is Stage.REJECTED
        status = await case.status()
        notice_limit = limit(status, "refusal_notice")
        assert notice_limit.met and not notice_limit.breached
        assert await case.breaches() == []
        kinds = [e.kind for e in await case.events()]
        assert kinds[-2:] == ["task_completed", "notice_sent"]
        assert any(e.data["template"] == "refused" for e in await case.events("sms_sent"))
        completed = (await case.events("task_completed"))[-1]
        assert completed.data["form"]["delivery"] == "electronic"
    refused = [m for m in sms_simulator.messages(phone) if m["template"] == "refused"]
    assert len(refused) == 1 and refused[0]["status"] == "delivered"
    assert "理由：核实后家庭人均收入超过当地低保标准" in refused[0]["text"]
    async with sessions() as session:
        task = await session.scalar(
            select(Task).where(
                Task.application_number == application_number, Task.task_type == "refusal_notice"
            )
        )
        record = await session.get(SmsRecord, f"{application_number}:refused")
    assert task is not None and task.status == "completed" and task.form["delivery"] == "electronic"
    assert record is not None and record.status == "delivered"


async def test_an_undelivered_refusal_leaves_the_notice_to_staff(
    sessions: Sessions, application_number: str, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    phone = new_phone()
    sms_simulator.state.fail_delivery([phone])
    # The report comes a moment later: the workflow's poll of it, not the first look, finds "failed".
    sms_simulator.state.set_delivery_seconds(1.0)
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, sms=gateway, phone=phone
    ) as case:
        await to_approval(case)
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "reject", reasons())

        async def undelivered() -> bool:
            return bool(await case.events("sms_undelivered"))

        await until(undelivered)
        await case.idle()
        assert (await case.status()).stage is Stage.REJECTED
        assert any(t.task_type is TaskType.REFUSAL_NOTICE for t in (await case.status()).open_tasks)
        await case.complete(TaskType.REFUSAL_NOTICE, REVIEWER, "sent", notice())
        assert (await case.handle.result()).final_stage is Stage.REJECTED


async def test_a_brief_outage_is_retried_and_sends_once(
    sessions: Sessions, application_number: str, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    phone = new_phone()
    sms_simulator.state.faults.add(FaultRequest(kind="unavailable", endpoint="send", times=2))
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, sms=gateway, phone=phone
    ) as case:

        async def accepted_sent() -> bool:
            return any(
                e.data.get("template") == "application_accepted" for e in await case.events("sms_sent")
            )

        await until(accepted_sent)
        assert await case.events("sms_failed") == []
    assert templates(sms_simulator, phone).count("application_accepted") == 1


async def test_an_outage_that_outlasts_the_retries_is_shown_to_staff(
    sessions: Sessions, application_number: str, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    phone = new_phone()
    sms_simulator.state.faults.down = True
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, sms=gateway, phone=phone
    ) as case:

        async def failed() -> bool:
            return any(
                e.data.get("template") == "application_accepted" for e in await case.events("sms_failed")
            )

        # The retries' back-off (10 s doubling, six tries) passes on the test server's clock.
        async with asyncio.timeout(60):
            while not await failed():
                await case.env.sleep(timedelta(minutes=1))
                await asyncio.sleep(0.2)
        event = next(
            e for e in await case.events("sms_failed") if e.data["template"] == "application_accepted"
        )
        assert event.summary.startswith("短信发送失败（受理通知）")
        notices = await case.notifications("sms_failed")
        assert [n.recipient_role for n in notices][:1] == ["township_reviewer"]
        assert "请电话或书面告知申请人" in notices[0].message
        # The case itself went on: the home visit is open.
        await case.task(TaskType.HOME_VISIT)
        sms_simulator.state.faults.down = False
        async with sessions() as session:
            record = await session.get(SmsRecord, f"{application_number}:accepted")
        assert record is not None and record.status == "unavailable"
    assert "application_accepted" not in templates(sms_simulator, phone)


async def test_an_emergency_grant_is_told_with_its_amount(
    sessions: Sessions, application_number: str, gateway: HttpSmsGateway, sms_simulator: SmsSimulator
) -> None:
    phone = new_phone()
    accepted = beijing(2026, 9, 30, 20)
    async with case_at(
        accepted,
        sessions,
        application_number,
        AssistanceType.TEMP_EMERGENCY,
        materials=[],
        sms=gateway,
        phone=phone,
    ) as case:
        await case.complete(TaskType.EMERGENCY_APPROVAL, HEAD, "approve", rescue(200_000))
        await case.complete(TaskType.EMERGENCY_PAPERWORK, CLERK, "completed", paperwork())
        assert (await case.handle.result()).final_stage is Stage.APPROVED
    assert sorted(templates(sms_simulator, phone)) == ["application_accepted", "approved_once"]
    approved = next(m for m in sms_simulator.messages(phone) if m["template"] == "approved_once")
    assert "已审批通过，救助金额2000.00元" in approved["text"]
