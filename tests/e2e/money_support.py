"""Shared by the payments, beneficiaries and disclosure tests: the API and a worker that pays through
the bank simulator, and households enrolled the way approval enrols them (an application row with
the applicant's real name and sealed ID number, then the beneficiary lifecycle workflow)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from api.deps import payroll_clock
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

CHIGANG = ("440105", "440105001", "440105001001")


def pay_months_ahead(app: FastAPI) -> FastAPI:
    """These tests pay months of their own, some ahead of today, so that no two tests of the shared
    database meet in a county month: the payroll's clock alone (not the audit's) is set ahead."""
    app.dependency_overrides[payroll_clock] = lambda: lambda: datetime(2100, 1, 1, tzinfo=UTC)
    return app  # 海珠区 赤岗街道 赤岗社区 (the demo staff's own)


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
    app = pay_months_ahead(create_app(settings, session_factory=sessions, temporal_client=dev_env.client))
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
    start_month: str, category: str = "C", amount_fen: int = 80_000, region: tuple[str, str, str] = CHIGANG,
) -> Beneficiary:  # fmt: skip
    """An approved 城乡低保 household (of 赤岗街道 unless `region` says otherwise: county, township,
    community): what the decision stage would have left behind."""
    county, township, community = region
    await store_application(
        sessions,
        number,
        datetime.now(UTC),
        applicant_name=name,
        applicant_id_number=id_number,
        stage="approved",
        county_code=county,
        township_code=township,
        community_code=community,
    )
    enrolment = EnrolInput(
        number, AssistanceType.DIBAO, county, township, community, category, amount_fen, start_month
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


async def pay_month(desk: Desk, client: Client, month: str) -> None:
    """海珠区's finance officer starts the month's payroll through the API; wait until it has closed."""
    body = {"county_code": "440105", "month": month}
    response = await desk.call("POST", "finance_haizhu", "/api/v1/payroll/runs", json=body)
    assert response.status_code == 202, response.text
    started = response.json()
    await client.get_workflow_handle(started["workflow_id"], run_id=started["run_id"]).result()


class Desk:
    """The API as the demo staff use it: `await desk.call("POST", "approver_haizhu", url, json=…)`.
    One login per account per test (each costs a scrypt and an audit entry)."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self._headers: dict[str, dict[str, str]] = {}

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self._headers:
            self._headers[username] = await login(self.api, username)
        return self._headers[username]

    async def call(self, method: str, username: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.api.request(method, url, headers=await self.headers(username), **kwargs)

    async def ok(self, method: str, username: str, url: str, **kwargs: Any) -> Any:
        response = await self.call(method, username, url, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()
