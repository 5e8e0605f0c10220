"""A task's inbox row keeps the newest state the workflow gave it, whatever order the writes land
in: a claim's save retried after the release was written must not make the task claimed again."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.case_records import CaseRecordActivities
from domain.records import SaveTaskInput
from domain.staff import Role
from domain.tasks import TaskRecord, TaskStatus, TaskType
from infra.db import make_session_factory
from infra.models import Task

pytestmark = pytest.mark.db

CREATED = datetime(2026, 12, 1, 1, tzinfo=UTC)


def opened(task_id: str) -> TaskRecord:
    return TaskRecord(
        task_id=task_id, task_type=TaskType.HOME_VISIT, stage="verification", candidate_role=Role.INVESTIGATOR,
        region_code="440105001", due_at=None, follow_up_at=None, created_at=CREATED, revision=1,
    )  # fmt: skip


def save(task: TaskRecord) -> SaveTaskInput:
    return SaveTaskInput("440105-REV0001", "440105", task)


async def row(engine: AsyncEngine, task_id: str) -> Task:
    async with make_session_factory(engine)() as session:
        found = await session.get(Task, task_id)
    assert found is not None
    return found


async def test_a_late_claim_does_not_overwrite_the_release(migrated: AsyncEngine) -> None:
    records = CaseRecordActivities(make_session_factory(migrated))
    task = opened("440105-REV0001-T01")
    claimed = replace(task, status=TaskStatus.CLAIMED, assignee="inv_chigang_1", revision=2)
    released = replace(task, status=TaskStatus.OPEN, assignee=None, revision=3)
    await records.save_task(save(task))
    await records.save_task(save(released))
    await records.save_task(save(claimed))  # the claim's attempt that lands last
    stored = await row(migrated, task.task_id)
    assert (stored.status, stored.assignee, stored.revision) == ("open", None, 3)
    # Newer states still win, and writing the same state again changes nothing.
    again = replace(task, status=TaskStatus.CLAIMED, assignee="inv_chigang_2", revision=4)
    await records.save_task(save(again))
    await records.save_task(save(again))
    stored = await row(migrated, task.task_id)
    assert (stored.status, stored.assignee, stored.revision) == ("claimed", "inv_chigang_2", 4)


async def test_concurrent_writes_in_any_order_leave_the_newest(migrated: AsyncEngine) -> None:
    records = CaseRecordActivities(make_session_factory(migrated))
    task = opened("440105-REV0001-T02")
    states = [
        replace(task, status=TaskStatus.CLAIMED if n % 2 else TaskStatus.OPEN,
                assignee=f"inv_{n}" if n % 2 else None, revision=n)
        for n in range(1, 13)
    ]  # fmt: skip
    random.Random(15).shuffle(states)

    async def write(state: TaskRecord) -> None:
        # An activity attempt that fails (e.g. SQLite busy) is retried by Temporal: do the same.
        for _ in range(20):
            try:
                await records.save_task(save(state))
                return
            except Exception:
                await asyncio.sleep(0.05)
        raise AssertionError(f"revision {state.revision} never written")

    await asyncio.gather(*(write(s) for s in states))
    stored = await row(migrated, task.task_id)
    assert (stored.status, stored.assignee, stored.revision) == ("open", None, 12)


async def test_a_save_from_before_revisions_is_written_as_before(migrated: AsyncEngine) -> None:
    records = CaseRecordActivities(make_session_factory(migrated))
    task = replace(opened("440105-REV0001-T03"), revision=0)
    await records.save_task(save(task))
    await records.save_task(save(replace(task, status=TaskStatus.COMPLETED, outcome="completed")))
    assert (await row(migrated, task.task_id)).status == "completed"
