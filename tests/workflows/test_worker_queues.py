"""Slow department calls have their own task queue and slots: a case's database writes (a staff
action, the timeline) do not queue behind departments that take seconds to answer."""

from __future__ import annotations

import asyncio
import time

from domain.tasks import TaskStatus, TaskType
from simulators.departments import FaultRequest
from tests.conftest import DepartmentSimulator
from tests.workflows.harness import INVESTIGATOR, Sessions, beijing, case_at
from workflows.queues import department_queue


async def test_a_claim_is_answered_while_every_department_slot_is_busy(
    sessions: Sessions, application_number: str, department_simulator: DepartmentSimulator
) -> None:
    department_simulator.faults.apply(FaultRequest(latency_ms=1500))  # every department, slow
    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number, department_slots=1) as case:
        visit = await case.task(TaskType.HOME_VISIT)

        async def scheduled_queries() -> list[str]:
            events = (await case.handle.fetch_history()).events
            return [
                e.activity_task_scheduled_event_attributes.task_queue.name
                for e in events
                if e.activity_task_scheduled_event_attributes.activity_type.name == "query_department"
            ]

        async with asyncio.timeout(30):
            while len(await scheduled_queries()) < 8:
                await asyncio.sleep(0.05)
        # Eight queries of 1.5 s on one department slot: the data check takes ~12 s. Meanwhile
        # the investigator's claim (two database writes on the main queue) is answered at once.
        began = time.monotonic()
        claimed = await case.claim(TaskType.HOME_VISIT, INVESTIGATOR)
        took = time.monotonic() - began
        assert claimed.task_id == visit.task_id and claimed.status is TaskStatus.CLAIMED
        assert took < 1.5, f"the claim waited {took:.1f} s behind the departments"
        assert await case.events("assessed") == []  # the departments were still being asked
        assert set(await scheduled_queries()) == {department_queue(f"tq-{case.number}")}
