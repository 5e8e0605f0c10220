"""SIGTERM during an activity (a rolling deploy, a node drained): the worker stops polling, lets the
running activities finish their work and exits; nothing is cancelled half-way for a retry to redo."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.testing import WorkflowEnvironment

from domain.application import StartApplicationInput, workflow_id_for
from domain.enums import AssistanceType
from domain.staff import Actor, Role
from simulators.departments import FaultRequest
from tests.conftest import DepartmentSimulator
from tests.factories import store_application
from workflows.application import ApplicationWorkflow

REPO = Path(__file__).resolve().parents[2]
CLERK = Actor("clerk_chigang", "窗口王芳", Role.INTAKE_CLERK, "440105001")


async def test_sigterm_lets_running_department_queries_finish(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], sqlite_url: str,
    task_queue: str, application_number: str, department_simulator: DepartmentSimulator, tmp_path: Path,
) -> None:  # fmt: skip
    from infra.policy_config import load_policy_book
    from infra.settings import load_settings

    department_simulator.faults.apply(FaultRequest(latency_ms=3000))  # every department answers in 3 s
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "DEPARTMENT_BASE_URL": department_simulator.url,
        "MANAGE_SCHEDULES": "false",  # the dev server is shared
    }

    log = (tmp_path / "worker.log").open("wb")  # the worker's own log, for a failure's reader

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "workers.main"], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip

    worker = start_worker()
    try:
        accepted = datetime.now(UTC)
        await store_application(sessions, application_number, accepted)
        policy = load_policy_book(load_settings().policy_file).resolve(AssistanceType.DIBAO, "440105")
        handle = await dev_env.client.start_workflow(
            ApplicationWorkflow.run,
            StartApplicationInput(
                application_number=application_number, assistance_type=AssistanceType.DIBAO,
                county_code="440105", township_code="440105001", community_code="440105001001",
                green_channel=False, accepted_at=accepted, household_size=3, declared_monthly_income_fen=60_000,
                materials_provided=list(policy.required_materials), masked_name="张*明", submitted_by=CLERK,
            ),
            id=workflow_id_for(application_number), task_queue=task_queue,
        )  # fmt: skip

        async def running_queries() -> int:
            described = await handle.describe()
            return sum(
                a.activity_type.name == "query_department"
                and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                for a in described.raw_description.pending_activities
            )

        async with asyncio.timeout(60):
            while await running_queries() < 8:
                await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGTERM)  # the eight queries are at the departments
        code = await asyncio.to_thread(worker.wait, 30)
        assert code == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        log.close()

    # Each department was asked once and its answer reached the case: completed on attempt 1.
    events = (await handle.fetch_history()).events
    scheduled = {
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "query_department"
    }
    started = [
        e.activity_task_started_event_attributes
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    ]
    completed = [
        e
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
    ]
    assert len(scheduled) == 8 and len(completed) == 8
    assert [s.attempt for s in started] == [1] * 8
    await handle.terminate("test over")
