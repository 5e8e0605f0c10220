"""APP_ENV=production at process start (issue 16, item 6): the worker and the API refuse to start
with a development secret, and start with real ones."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from infra.settings import UnsafeProductionSettings
from tests.e2e.support import Sessions, eventually
from tests.unit.test_production_settings import real_secrets, settings_from
from workers.main import run_worker


def _worker_env(dev_env: WorkflowEnvironment, sqlite_url: str, task_queue: str) -> dict[str, str]:
    return {
        "APP_ENV": "production",
        "DATABASE_URL": sqlite_url,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "MANAGE_SCHEDULES": "false",  # the session's dev server must not get this run's schedules
    }


async def _pollers(dev_env: WorkflowEnvironment, task_queue: str) -> int:
    answer = await dev_env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=dev_env.client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(answer.pollers)


async def test_the_worker_refuses_development_keys_in_production_and_starts_with_real_ones(
    dev_env: WorkflowEnvironment, sqlite_url: str, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sessions`: the session's database at `sqlite_url` is migrated and seeded before the worker reads it.
    task_queue = f"production-start-{uuid.uuid4().hex[:8]}"
    for name, value in _worker_env(dev_env, sqlite_url, task_queue).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UnsafeProductionSettings) as refused:
        await run_worker()  # every key at its development value
    assert "PAYLOAD_KEYS" in str(refused.value) and "BANK_API_KEY" in str(refused.value)
    assert await _pollers(dev_env, task_queue) == 0  # refused before it polled anything

    for name, value in real_secrets().items():
        monkeypatch.setenv(name, value)
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(stop))
    try:
        await eventually(lambda: _pollers(dev_env, task_queue), within=30)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)


async def test_the_api_starts_in_production_with_real_secrets(
    dev_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    settings = settings_from({**real_secrets(), "APP_ENV": "production"})
    app = create_app(settings, session_factory=sessions, temporal_client=dev_env.client)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client,
    ):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    with pytest.raises(UnsafeProductionSettings, match="JWT_SECRET"):
        create_app(settings.model_copy(update={"jwt_secret": settings_from({}).jwt_secret}))
