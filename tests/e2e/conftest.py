"""End-to-end fixtures: the API (in process, real lifespan) + a worker, on the real dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from tests.e2e.support import login
from workers.build import WorkerResources, build_worker


@pytest_asyncio.fixture
async def api(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sqlite_url: str,
    task_queue: str,
    department_adapters: AdapterFactory,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(database_url=sqlite_url, temporal_task_queue=task_queue)
    await seed_demo(sessions)  # idempotent: regions and the demo staff accounts
    app = create_app(settings, session_factory=sessions, temporal_client=dev_env.client)
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), department_adapters, pii=make_pii_vault(settings)
    )
    worker = build_worker(dev_env.client, task_queue, resources)
    async with worker, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client


@pytest_asyncio.fixture
async def clerk(api: httpx.AsyncClient) -> dict[str, str]:
    """Authorization headers of the intake clerk of 赤岗街道 (where the test cases are filed)."""
    return await login(api, "clerk_chigang")
