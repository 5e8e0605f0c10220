"""Worker versioning on the dev server: a rolling deploy never mixes old and new code on a history.

Workers with a build id poll as a version of a Worker Deployment. The server gives a case's tasks
only to the deployment's current version: a new build's workers can start (and be watched) while
the old build keeps every case, and one step — making the new version current — moves the cases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest_asyncio
from temporalio.client import Client
from temporalio.common import VersioningBehavior
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from domain.application import workflow_id_for
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from infra.worker_versions import make_current
from tests.e2e.support import Sessions, file_complete_case, login, waiting_on
from workers.build import WorkerResources, Workers, build_worker, versioning


async def build_of(client: Client, number: str) -> tuple[str, int]:
    info = (
        await client.get_workflow_handle(workflow_id_for(number)).describe()
    ).raw_description.workflow_execution_info.versioning_info
    return info.deployment_version.build_id, info.behavior


class Deploy:
    """The API and the workers of one test, with versioned workers added as a deploy would."""

    def __init__(self, env: WorkflowEnvironment, sessions: Sessions, adapters: AdapterFactory) -> None:
        self.env, self.sessions, self.adapters = env, sessions, adapters
        self.queue = f"tq-{uuid.uuid4().hex}"
        self.deployment = f"sa-{uuid.uuid4().hex[:8]}"
        self.settings = load_settings(temporal_task_queue=self.queue)
        self.stack = AsyncExitStack()

    def worker(self, build_id: str) -> Workers:
        resources = WorkerResources(
            self.sessions, load_policy_book(self.settings.policy_file), self.adapters,
            pii=make_pii_vault(self.settings), version=versioning(build_id, self.deployment),
        )  # fmt: skip
        return build_worker(self.env.client, self.queue, resources)


@pytest_asyncio.fixture
async def deploy(
    dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str, department_adapters: AdapterFactory
) -> AsyncIterator[tuple[Deploy, httpx.AsyncClient]]:
    await seed_demo(sessions)
    d = Deploy(dev_env, sessions, department_adapters)
    app = create_app(
        load_settings(database_url=sqlite_url, temporal_task_queue=d.queue),
        session_factory=sessions, temporal_client=dev_env.client,
    )  # fmt: skip
    async with d.stack, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield d, client


async def test_cases_stay_on_the_current_build_until_the_new_one_is_made_current(
    deploy: tuple[Deploy, httpx.AsyncClient], sessions: Sessions
) -> None:
    d, api = deploy
    client = d.env.client
    clerk = await login(api, "clerk_chigang")
    await d.stack.enter_async_context(d.worker("build-1"))
    await make_current(client, d.deployment, "build-1")
    first = f"440105-{uuid.uuid4().hex[:12].upper()}"
    await file_complete_case(api, clerk, first)
    await waiting_on(sessions, first, "home_visit")
    assert await build_of(client, first) == ("build-1", VersioningBehavior.AUTO_UPGRADE.value)

    # The new build's workers start beside the old ones: they get nothing yet, not even new cases.
    await d.stack.enter_async_context(d.worker("build-2"))
    second = f"440105-{uuid.uuid4().hex[:12].upper()}"
    await file_complete_case(api, clerk, second)
    await waiting_on(sessions, second, "home_visit")
    assert (await build_of(client, second))[0] == "build-1"

    # One step moves the cases: the next task of a running case goes to the new build only.
    await make_current(client, d.deployment, "build-2")
    investigator = await login(api, "inv_chigang_1")
    task = await waiting_on(sessions, first, "home_visit")
    claimed = await api.post(f"/api/v1/tasks/{task.task_id}/claim", headers=investigator)
    assert claimed.status_code == 200, claimed.text
    assert (await build_of(client, first))[0] == "build-2"


def test_a_worker_without_a_build_id_is_unversioned() -> None:
    assert versioning("", "social-assistance") is None
    version = versioning("2026.12.01-1", "social-assistance")
    assert version is not None and (version.deployment_name, version.build_id) == (
        "social-assistance",
        "2026.12.01-1",
    )
