"""Issue 12, item 4: a case saved while the workflow service is down starts by itself when the
service is back (the start repair), and the case view says 流程待启动 meanwhile: the clerk never
resubmits. On the real dev server, with a database of its own (the repair looks at every row, and
other tests leave pending cases of their own behind)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.data_check import AdapterFactory
from api.app import create_app
from infra.case_start import repair_unstarted
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade_async
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from tests.conftest import temporal_cli
from tests.e2e.support import DIBAO_MATERIALS, case_tasks, count_rows, login, verification_tasks
from tests.factories import application_payload
from workers.build import WorkerResources, build_worker

Sessions = async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def own_db(tmp_path: Path) -> AsyncIterator[tuple[str, Sessions]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'repair.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    await seed_demo(factory)
    yield url, factory
    await engine.dispose()


async def test_a_case_saved_during_an_outage_is_started_by_the_repair_once(
    dev_env: WorkflowEnvironment,
    own_db: tuple[str, Sessions],
    task_queue: str,
    application_number: str,
    department_adapters: AdapterFactory,
) -> None:
    url, sessions = own_db
    settings = load_settings(database_url=url, temporal_task_queue=task_queue)
    pii = make_pii_vault(settings)
    payload = application_payload(application_number, materials=DIBAO_MATERIALS)
    case_url = f"/api/v1/applications/{application_number}"

    # The API's Temporal client points at a real dev server that has gone down: an outage.
    doomed = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
    )
    dead = doomed.client
    await doomed.shutdown()
    outage_app = create_app(settings, session_factory=sessions, temporal_client=dead)
    async with outage_app.router.lifespan_context(outage_app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=outage_app), base_url="http://api.test"
        ) as down:
            clerk = await login(down, "clerk_chigang")
            saved = await down.post("/api/v1/applications", json=payload, headers=clerk)
            during = await down.get(case_url, headers=clerk)
    assert saved.status_code == 503 and saved.json()["code"] == "workflow_unavailable"
    assert "无需重新提交" in saved.json()["message"], saved.json()
    assert await count_rows(sessions, application_number) == 1
    assert during.status_code == 200, during.text
    assert during.json()["stage_label"] == "流程待启动" and during.json()["workflow_pending"] is True

    # A repair pass while the service is still down starts nothing and keeps the case pending.
    still_down = await repair_unstarted(dead, task_queue, sessions, pii, grace=timedelta(0))
    assert still_down.started == [] and still_down.still_pending == [application_number]

    app = create_app(settings, session_factory=sessions, temporal_client=dev_env.client)
    resources = WorkerResources(
        sessions, load_policy_book(settings.policy_file), department_adapters, pii=pii
    )
    async with (
        build_worker(dev_env.client, task_queue, resources),
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as api,
    ):
        clerk = await login(api, "clerk_chigang")
        # The service is back, the repair has not run yet: still pending, not an error.
        before = await api.get(case_url, headers=clerk)
        assert before.status_code == 200 and before.json()["stage_label"] == "流程待启动"
        assert await case_tasks(sessions, application_number) == []

        first = await repair_unstarted(dev_env.client, task_queue, sessions, pii, grace=timedelta(0))
        assert first.started == [application_number] and first.still_pending == []
        # The case goes on as if its intake had never failed: the home visit is open.
        tasks = await verification_tasks(api, sessions, application_number)
        after = await api.get(case_url, headers=clerk)
        assert after.status_code == 200, after.text
        assert after.json()["live"] is True and after.json()["workflow_pending"] is False
        assert after.json()["stage_label"] != "流程待启动"
        assert [t["task_type"] for t in after.json()["open_tasks"]] == ["home_visit"]

        # A second pass (another worker's, or the next tick) starts nothing twice.
        handle = dev_env.client.get_workflow_handle(f"application-{application_number}")
        run_before = (await handle.describe()).run_id
        second = await repair_unstarted(dev_env.client, task_queue, sessions, pii, grace=timedelta(0))
        assert second.started == [] and second.still_pending == []
        assert (await handle.describe()).run_id == run_before
        assert [t.task_id for t in await case_tasks(sessions, application_number)] == [
            tasks["home_visit"].task_id
        ]
