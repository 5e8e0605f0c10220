"""到账通知: a payroll month tells every paid household by SMS, once — except a household that
opted out of payment messages, which still gets the notices the law requires."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities import notices
from activities.data_check import AdapterFactory
from activities.notices import NoticeActivities
from domain.notices import NoticeInput
from infra.bank.http import make_bank_gateway
from infra.models import Application, Region, SmsRecord
from infra.pii import PiiVault, make_pii_vault
from infra.policy_config import load_policy_book
from infra.settings import load_settings
from infra.sms import HttpSmsGateway, sms_gateway_from_settings
from tests.conftest import BankSimulator
from tests.e2e.test_payroll import MONTH, new_county, run_payroll
from tests.factories import store_application
from tests.payroll.households import seed_households
from tests.sms_sim import SmsSimulator
from workers.build import WorkerResources, build_worker

Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def sms(sms_simulator: SmsSimulator) -> AsyncIterator[HttpSmsGateway]:
    gw = sms_gateway_from_settings(load_settings(sms_base_url=sms_simulator.url, sms_timeout_seconds=2.0))
    yield gw
    await gw.aclose()


@pytest_asyncio.fixture
async def worker_with_sms(
    dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str, task_queue: str,
    department_adapters: AdapterFactory, bank_simulator: BankSimulator, sms: HttpSmsGateway,
) -> AsyncIterator[Worker]:  # fmt: skip
    settings = load_settings(
        database_url=sqlite_url, bank_base_url=bank_simulator.base_url, bank_timeout_seconds=5
    )
    bank = make_bank_gateway(settings)
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), department_adapters, bank=bank,
        payer_account=settings.bank_payer_account, pii=make_pii_vault(settings), sms=sms,
    )  # fmt: skip
    try:
        async with build_worker(dev_env.client, task_queue, resources) as worker:
            yield worker
    finally:
        await bank.aclose()


def phone() -> str:
    return "136" + f"{uuid.uuid4().int % 10**8:08d}"


async def households_with_phones(
    sessions: Sessions, vault: PiiVault, county: str, count: int
) -> dict[str, str]:
    """Enrolled households of a county of this test's own, each with its application and phone."""
    async with sessions.begin() as session:
        session.add(Region(code=county, name="测试县", level="county", parent_code=None))
        await session.flush()
        session.add(Region(code=county + "001", name="测试街道", level="township", parent_code=county))
        await session.flush()
        session.add(
            Region(code=county + "001001", name="测试社区", level="community", parent_code=county + "001")
        )
    numbers = await seed_households(sessions, vault, county, count, first=random.randint(1, 10**9), tag="S")
    phones = {}
    for number in numbers:
        phones[number] = phone()
        await store_application(
            sessions, number, datetime.now(UTC), county_code=county, township_code=county + "001",
            community_code=county + "001001", stage="approved", applicant_phone=phones[number],
        )  # fmt: skip
    return phones


async def test_every_paid_household_is_told_once_and_an_opted_out_one_is_not(
    dev_env: WorkflowEnvironment, worker_with_sms: Worker, sessions: Sessions, task_queue: str,
    sms_simulator: SmsSimulator, sms: HttpSmsGateway, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Already-sent messages are looked up in slices (a county's 100,000 ids would pass the drivers'
    # limit of bound parameters in one IN list): with slices of one, every household's is a slice.
    monkeypatch.setattr(notices, "SENT_QUERY_SLICE", 1)
    vault = make_pii_vault(load_settings())
    county = new_county()
    phones = await households_with_phones(sessions, vault, county, 4)
    opted_out = next(iter(phones))
    async with sessions.begin() as session:
        await session.execute(
            update(Application)
            .where(Application.application_number == opted_out)
            .values(payment_sms_opt_out=True)
        )

    result = await run_payroll(dev_env.client, task_queue, county)
    assert result.paid == 4
    await run_payroll(dev_env.client, task_queue, county)  # a rerun of the month tells nobody again

    for number, to in phones.items():
        messages = sms_simulator.messages(to)
        if number == opted_out:
            assert messages == []
            continue
        assert [m["template"] for m in messages] == ["payment_credited"]
        assert "2026年12月城乡低保救助金800.00元已发放至您尾号" in messages[0]["text"]
    async with sessions() as session:
        record = await session.get(SmsRecord, f"{opted_out}:{MONTH}:credited")
    assert record is not None and record.status == "opted_out"

    # The opt-out covers payment messages only: a decision notice still reaches the household.
    activities = NoticeActivities(sessions, sms, vault)
    sent = await ActivityEnvironment().run(
        activities.send_notice,
        NoticeInput(f"{opted_out}:exit:2027-02", opted_out, "exit_notice",
                    {"assistance": "城乡低保", "stop_month": "2027年2月", "reasons": "家庭收入已超过低保标准"}),
    )  # fmt: skip
    assert sent.outcome == "sent"
    assert [m["template"] for m in sms_simulator.messages(phones[opted_out])] == ["exit_notice"]
    refused = await ActivityEnvironment().run(
        activities.send_notice,
        NoticeInput(f"{opted_out}:paid:x", opted_out, "payment_credited",
                    {"month": "2026年12月", "assistance": "城乡低保", "amount": "800.00", "account_tail": "1234"},
                    payment=True),
    )  # fmt: skip
    assert refused.outcome == "opted_out"
