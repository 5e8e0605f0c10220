"""Monthly payroll against the real dev server, the embedded database and the bank simulator:
reconciliation, the finance queue, reruns — and a worker killed (SIGKILL) in the middle."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.data_check import AdapterFactory
from domain.payroll import OrderStatus, PayrollInput, PayrollResult
from infra.bank.http import make_bank_gateway
from infra.models import PaymentBatch, PaymentOrder
from infra.pii import PiiVault, make_pii_vault
from infra.policy_config import load_policy_book
from infra.settings import load_settings
from simulators.bank.state import Account
from tests.conftest import BankSimulator
from tests.payroll.households import account_number, seed_households
from workers.build import WorkerResources, build_worker
from workflows.payroll import PayrollWorkflow

REPO = Path(__file__).resolve().parents[2]
MONTH = "2026-12"


def new_county() -> str:
    return f"9{random.randint(10_000, 99_999)}"


@pytest.fixture
def vault() -> PiiVault:
    return make_pii_vault(load_settings())


@pytest_asyncio.fixture
async def payroll_worker(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], sqlite_url: str, task_queue: str,
    department_adapters: AdapterFactory, bank_simulator: BankSimulator, vault: PiiVault,
) -> AsyncIterator[Worker]:  # fmt: skip
    settings = load_settings(
        database_url=sqlite_url, bank_base_url=bank_simulator.base_url, bank_timeout_seconds=5
    )
    bank = make_bank_gateway(settings)
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), department_adapters, bank=bank,
        payer_account=settings.bank_payer_account, pii=vault,
    )  # fmt: skip
    try:
        async with build_worker(dev_env.client, task_queue, resources) as worker:
            yield worker
    finally:
        await bank.aclose()


async def run_payroll(client: Client, task_queue: str, county: str, batch_size: int = 10) -> PayrollResult:
    return await client.execute_workflow(
        PayrollWorkflow.run, PayrollInput(county, MONTH, batch_size, step_timeout_seconds=5),
        id=f"payroll-{county}-{MONTH}-{uuid.uuid4().hex[:6]}", task_queue=task_queue,
    )  # fmt: skip


def credits(bank: BankSimulator, numbers: list[str]) -> dict[str, int]:
    return {n: len(bank.state.credits_of(f"{n}:{MONTH}")) for n in numbers}


async def order_statuses(sessions: async_sessionmaker[AsyncSession], county: str) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.execute(
            select(PaymentOrder.application_number, PaymentOrder.status).where(
                PaymentOrder.county_code == county
            )
        )
    return dict(rows.all())


async def test_bank_failures_go_to_the_finance_queue_and_are_paid_once_on_retry(
    dev_env: WorkflowEnvironment, payroll_worker: Worker, sessions: async_sessionmaker[AsyncSession],
    bank_simulator: BankSimulator, vault: PiiVault, task_queue: str,
) -> None:  # fmt: skip
    county = new_county()
    first = random.randint(1, 10**9)
    numbers = await seed_households(sessions, vault, county, 30, first=first, tag="R")
    closed, invalid = numbers[3], numbers[17]
    bank_simulator.state.register(Account(account_number(first + 3), "张小明", "closed"))
    bank_simulator.state.mark_invalid([f"{invalid}:{MONTH}"])

    result = await run_payroll(dev_env.client, task_queue, county)
    assert (result.orders, result.paid, result.failed) == (30, 28, 2)
    statuses = await order_statuses(sessions, county)
    assert statuses[closed] == statuses[invalid] == OrderStatus.FAILED
    async with sessions() as session:
        reasons = dict(
            (await session.execute(
                select(PaymentOrder.application_number, PaymentOrder.failure_reason)
                .where(PaymentOrder.status == OrderStatus.FAILED.value, PaymentOrder.county_code == county)
            )).all()
        )  # fmt: skip
    assert reasons == {closed: "account_closed", invalid: "invalid_line"}

    # The same month again: nobody is ordered or paid twice, the failures stay with finance.
    again = await run_payroll(dev_env.client, task_queue, county)
    assert again.paid == 0 and again.orders == 30
    assert set(credits(bank_simulator, numbers).values()) == {0, 1}
    assert credits(bank_simulator, [closed, invalid]) == {closed: 0, invalid: 0}

    # Finance fixes both (the account reopened, the line corrected) and retries: paid, once.
    bank_simulator.state.register(Account(account_number(first + 3), "张小明", "open"))
    bank_simulator.state.invalid_references.discard(f"{invalid}:{MONTH}")
    async with sessions.begin() as session:
        await session.execute(
            update(PaymentOrder)
            .where(PaymentOrder.application_number.in_([closed, invalid]), PaymentOrder.month == MONTH)
            .values(status=OrderStatus.RETRY.value)
        )
    retried = await run_payroll(dev_env.client, task_queue, county)
    assert (retried.paid, retried.failed) == (2, 0)
    assert credits(bank_simulator, numbers) == dict.fromkeys(numbers, 1)
    assert set((await order_statuses(sessions, county)).values()) == {OrderStatus.PAID}


async def test_worker_killed_mid_payroll_pays_everyone_exactly_once(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], sqlite_url: str,
    bank_simulator: BankSimulator, vault: PiiVault, task_queue: str,
) -> None:  # fmt: skip
    county = new_county()
    first = random.randint(1, 10**9)
    numbers = await seed_households(sessions, vault, county, 120, first=first, tag="K")
    bank_simulator.state.set_processing_seconds(1.0)  # slow enough to kill the worker mid-run
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "BANK_BASE_URL": bank_simulator.base_url,
        "BANK_TIMEOUT_SECONDS": "5",
        # The dev server is shared: Schedules created here would point at this test's queue.
        "MANAGE_SCHEDULES": "false",
    }

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "workers.main"], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    worker = start_worker()
    try:
        handle = await dev_env.client.start_workflow(
            PayrollWorkflow.run, PayrollInput(county, MONTH, batch_size=10, step_timeout_seconds=4),
            id=f"payroll-{county}-{MONTH}", task_queue=task_queue,
        )  # fmt: skip

        async def submitted() -> int:
            async with sessions() as session:
                count = await session.scalar(
                    select(func.count()).select_from(PaymentBatch)
                    .where(PaymentBatch.county_code == county, PaymentBatch.status != "built")
                )  # fmt: skip
            return int(count or 0)

        async with asyncio.timeout(60):
            while await submitted() < 2:
                await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert await submitted() < 12, "the payroll finished before the worker was killed"
        worker = start_worker()
        result = await asyncio.wait_for(handle.result(), 120)
    finally:
        worker.kill()
        worker.wait(10)
    assert (result.orders, result.failed) == (120, 0)
    assert credits(bank_simulator, numbers) == dict.fromkeys(numbers, 1)
    assert set((await order_statuses(sessions, county)).values()) == {OrderStatus.PAID}


async def test_november_and_december_started_at_the_same_moment_credit_each_month_once(
    dev_env: WorkflowEnvironment, payroll_worker: Worker, sessions: async_sessionmaker[AsyncSession],
    bank_simulator: BankSimulator, vault: PiiVault, task_queue: str,
) -> None:  # fmt: skip
    # The reproduction: November's payroll not yet run when December's starts beside it.
    county = new_county()
    numbers = await seed_households(sessions, vault, county, 20, first=random.randint(1, 10**9), tag="O")
    runs = [
        dev_env.client.execute_workflow(
            PayrollWorkflow.run,
            PayrollInput(county, month, batch_size=5, step_timeout_seconds=5),
            id=f"payroll-{county}-{month}",
            task_queue=task_queue,
        )
        for month in ("2026-11", "2026-12")
    ]
    november, december = await asyncio.gather(*runs)
    assert (november.paid, december.paid) == (20, 20)
    for month in ("2026-11", "2026-12"):
        assert {n: len(bank_simulator.state.credits_of(f"{n}:{month}")) for n in numbers} == dict.fromkeys(
            numbers, 1
        ), month
