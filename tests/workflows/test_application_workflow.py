"""The application workflow on the time-skipping server: intake stage, deadline, withdrawal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.application import ApplicationStatus, StartApplicationInput, WithdrawInput, workflow_id_for
from domain.calendar import CHINA_TZ, WorkingDayCalendar
from domain.enums import AssistanceType, Stage
from infra.models import Application
from tests.factories import store_application
from workers.build import WorkerResources, build_worker
from workflows import search_attributes as sa
from workflows.application import ApplicationWorkflow

Sessions = async_sessionmaker[AsyncSession]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not await check():
            await asyncio.sleep(0.05)


async def start(
    env: WorkflowEnvironment, sessions: Sessions, number: str, task_queue: str, accepted_at: datetime
) -> WorkflowHandle[ApplicationWorkflow, object]:
    await store_application(sessions, number, accepted_at)
    return await env.client.start_workflow(
        ApplicationWorkflow.run,
        StartApplicationInput(
            number, AssistanceType.DIBAO, "440105", "440105001", "440105001001", False, accepted_at
        ),
        id=workflow_id_for(number),
        task_queue=task_queue,
    )


async def stored_stage(sessions: Sessions, number: str) -> str:
    async with sessions() as session:
        row = await session.scalar(select(Application).where(Application.application_number == number))
    assert row is not None
    return row.stage


async def test_intake_sets_search_attributes_and_whole_process_deadline_across_national_day(
    ts_env: WorkflowEnvironment, sessions: Sessions, task_queue: str, application_number: str
) -> None:
    # Accepted Monday 2026-09-28. 30 working days, counted by hand on the 2026 calendar:
    # 9/29, 9/30 (2), National Day 10/1-10/7 off, 10/8, 10/9 (4), make-up Saturday 10/10 (5),
    # then five full weeks 10/12 … 11/13 (30). Due by the end of Friday 2026-11-13.
    accepted = datetime(2026, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    async with build_worker(ts_env.client, task_queue, WorkerResources(sessions, WorkingDayCalendar())):
        handle = await start(ts_env, sessions, application_number, task_queue, accepted)

        async def has_deadline() -> bool:
            return (await handle.query(ApplicationWorkflow.status)).deadline is not None

        await eventually(has_deadline)
        status: ApplicationStatus = await handle.query(ApplicationWorkflow.status)
        assert status.stage is Stage.INTAKE
        assert status.deadline == datetime(2026, 11, 14, 0, 0, tzinfo=CHINA_TZ)
        assert status.deadline_provisional is False

        attrs = (await handle.describe()).typed_search_attributes
        assert attrs.get(sa.STAGE) == "intake"
        assert attrs.get(sa.ASSISTANCE_TYPE) == "dibao"
        assert attrs.get(sa.COUNTY_CODE) == "440105"
        assert attrs.get(sa.GREEN_CHANNEL) is False
        assert attrs.get(sa.OVERDUE) is False
        deadline_attr = attrs.get(sa.DEADLINE)
        assert deadline_attr is not None and deadline_attr == status.deadline
        assert await stored_stage(sessions, application_number) == "intake"


async def test_deadline_in_an_unannounced_year_is_provisional_not_a_crash(
    ts_env: WorkflowEnvironment, sessions: Sessions, task_queue: str, application_number: str
) -> None:
    accepted = datetime(2026, 12, 21, 9, 0, tzinfo=CHINA_TZ)  # 30 working days reach into 2027
    async with build_worker(ts_env.client, task_queue, WorkerResources(sessions, WorkingDayCalendar())):
        handle = await start(ts_env, sessions, application_number, task_queue, accepted)

        async def has_deadline() -> bool:
            return (await handle.query(ApplicationWorkflow.status)).deadline is not None

        await eventually(has_deadline)
        status = await handle.query(ApplicationWorkflow.status)
        assert status.deadline_provisional is True
        assert status.deadline is not None and status.deadline.year == 2027


async def test_withdrawal_closes_the_case_and_a_blank_reason_is_rejected_without_change(
    ts_env: WorkflowEnvironment, sessions: Sessions, task_queue: str, application_number: str
) -> None:
    accepted = datetime(2026, 5, 6, 9, 0, tzinfo=CHINA_TZ)
    async with build_worker(ts_env.client, task_queue, WorkerResources(sessions, WorkingDayCalendar())):
        handle = await start(ts_env, sessions, application_number, task_queue, accepted)

        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(
                ApplicationWorkflow.withdraw, WithdrawInput(reason="  ", actor="clerk-1")
            )
        assert "原因" in str(rejected.value.cause)
        assert (await handle.query(ApplicationWorkflow.status)).stage is Stage.INTAKE

        result = await handle.execute_update(
            ApplicationWorkflow.withdraw,
            WithdrawInput(reason="家庭收入已改善，申请人主动撤回", actor="clerk-1"),
        )
        assert result.stage is Stage.WITHDRAWN
        outcome = await handle.result()
        assert outcome.final_stage is Stage.WITHDRAWN
        assert await stored_stage(sessions, application_number) == "withdrawn"
        assert (await handle.describe()).typed_search_attributes.get(sa.STAGE) == "withdrawn"
