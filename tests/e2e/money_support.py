"""Shared by the payments, beneficiaries and disclosure tests: the API and a worker that pays through
the bank simulator, and households enrolled the way approval enrols them (an application row with
the applicant's real name and sealed ID number, then the beneficiary lifecycle workflow)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from domain.beneficiary import EnrolInput, LifecycleInput, lifecycle_workflow_id
from domain.enums import AssistanceType
from infra.bank.http import make_bank_gateway
from infra.models import Beneficiary
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from tests.conftest import BankSimulator
from tests.e2e.support import Sessions, eventually, login
from tests.factories import store_application
from workers.build import WorkerResources, build_worker
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow


@pytest_asyncio.fixture
async def money_api(
    dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str, task_queue: str,
    department_adapters: AdapterFactory, bank_simulator: BankSimulator,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    settings = load_settings(
        database_url=sqlite_url, temporal_task_queue=task_queue, bank_base_url=bank_simulator.base_url,
        bank_timeout_seconds=5,
    )  # fmt: skip
    await seed_demo(sessions)
    bank = make_bank_gateway(settings)
    app = create_app(settings, session_factory=sessions, temporal_client=dev_env.client)
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), department_adapters, bank=bank,
        payer_account=settings.bank_payer_account, pii=make_pii_vault(settings),
    )  # fmt: skip
    try:
        async with build_worker(dev_env.client, task_queue, resources), app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
                yield client
    finally:
        await bank.aclose()


async def enrol_household(
    client: Client, sessions: Sessions, task_queue: str, number: str, *, name: str, id_number: str,
    start_month: str, category: str = "C", amount_fen: int = 80_000,
) -> Beneficiary:  # fmt: skip
    """An approved 城乡低保 household of 赤岗街道: what the decision stage would have left behind."""
    await store_application(
        sessions,
        number,
        datetime.now(UTC),
        applicant_name=name,
        applicant_id_number=id_number,
        stage="approved",
    )
    enrolment = EnrolInput(
        number, AssistanceType.DIBAO, "440105", "440105001", "440105001001", category, amount_fen, start_month
    )
    await client.start_workflow(
        BeneficiaryWorkflow.run,
        LifecycleInput(enrolment),
        id=lifecycle_workflow_id(number),
        task_queue=task_queue,
    )

    async def enrolled() -> Beneficiary | None:
        async with sessions() as session:
            row = await session.scalar(select(Beneficiary).where(Beneficiary.application_number == number))
        return row if row is not None and row.status == "active" else None

    return await eventually(enrolled, within=30)


async def register_account(
    api: httpx.AsyncClient, number: str, account: str, holder: str, user: str = "finance_haizhu"
) -> dict[str, Any]:
    response = await api.put(
        f"/api/v1/beneficiaries/{number}/account",
        json={"account_number": account, "account_holder": holder, "bank_name": "中国工商银行广州分行"},
        headers=await login(api, user),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
