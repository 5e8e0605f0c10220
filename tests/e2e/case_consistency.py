"""Is a case still whole? The workflow is the authority; the database rows are its projections.

A case is consistent when its workflow has never failed a workflow task (an exception in an update
handler or a non-deterministic change shows up there), the stage stored in `applications` is the
stage the workflow reports, the timeline's sequence numbers run 1..n without gap, and every task
row is in a possible state that agrees with the workflow's own list of open tasks.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from domain.application import workflow_id_for
from infra.models import Application, CaseEvent, Task
from tests.e2e.support import Sessions
from workflows.application import ApplicationWorkflow

_PENDING = {"open", "claimed"}


def _task_problems(task: Task) -> list[str]:
    where = f"task {task.task_id} ({task.status})"
    problems: list[str] = []
    if task.status == "open" and task.assignee:
        problems.append(f"{where} is open but assigned to {task.assignee}")
    if task.status == "claimed" and not task.assignee:
        problems.append(f"{where} is claimed by nobody")
    if task.status == "completed" and not (task.completed_at and task.completed_by and task.outcome):
        problems.append(f"{where} is completed without time, person or outcome")
    if task.status in _PENDING and (task.completed_at or task.outcome):
        problems.append(f"{where} is pending but has a completion")
    if task.status not in _PENDING | {"completed", "cancelled"}:
        problems.append(f"{where} has an unknown status")
    return problems


async def workflow_problems(client: Client, workflow_id: str) -> list[str]:
    """A workflow task that failed (an exception in an update handler, non-determinism) or an
    execution that failed or was terminated: the workflow itself is hurt."""
    handle = client.get_workflow_handle(workflow_id)
    problems: list[str] = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            cause = event.workflow_task_failed_event_attributes.failure.message
            problems.append(f"{workflow_id}: workflow task failed at event {event.event_id}: {cause}")
    description = await handle.describe()
    ok = (
        WorkflowExecutionStatus.RUNNING,
        WorkflowExecutionStatus.COMPLETED,
        WorkflowExecutionStatus.CONTINUED_AS_NEW,
    )
    if description.status not in ok:
        problems.append(f"{workflow_id} is {description.status}")
    return problems


async def case_problems(client: Client, sessions: Sessions, number: str) -> list[str]:
    """What is wrong with the case right now (empty: consistent)."""
    handle = client.get_workflow_handle(workflow_id_for(number))
    problems = await workflow_problems(client, handle.id)
    status = await handle.query(ApplicationWorkflow.status)
    async with sessions() as session:
        stored_stage = await session.scalar(
            select(Application.stage).where(Application.application_number == number)
        )
        seqs = list(
            await session.scalars(
                select(CaseEvent.seq).where(CaseEvent.application_number == number).order_by(CaseEvent.seq)
            )
        )
        tasks = list(await session.scalars(select(Task).where(Task.application_number == number)))
    if stored_stage != status.stage.value:
        problems.append(f"stored stage {stored_stage} ≠ workflow stage {status.stage.value}")
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append(f"timeline sequence has gaps or duplicates: {seqs}")
    for task in tasks:
        problems += _task_problems(task)
    stored_open = {t.task_id for t in tasks if t.status in _PENDING}
    live_open = {t.task_id for t in status.open_tasks}
    if stored_open != live_open:
        problems.append(f"pending tasks stored {sorted(stored_open)} ≠ workflow's {sorted(live_open)}")
    for live in status.open_tasks:
        row = next((t for t in tasks if t.task_id == live.task_id), None)
        if row is not None and (row.status, row.assignee) != (live.status.value, live.assignee):
            problems.append(
                f"task {live.task_id}: stored {row.status}/{row.assignee} ≠ {live.status}/{live.assignee}"
            )
    return problems


async def assert_consistent(
    client: Client, sessions: Sessions, numbers: list[str], within: float = 20.0
) -> None:
    """Projections are written by activities, a moment after the workflow moves: wait for quiet,
    then report every case that is still inconsistent."""
    remaining: dict[str, list[str]] = {n: ["not checked"] for n in numbers}
    deadline = asyncio.get_running_loop().time() + within
    while remaining and asyncio.get_running_loop().time() < deadline:
        for number in list(remaining):
            found = await case_problems(client, sessions, number)
            if found:
                remaining[number] = found
            else:
                del remaining[number]
        if remaining:
            await asyncio.sleep(0.2)
    report: dict[str, Any] = remaining
    assert not report, "inconsistent cases:\n" + "\n".join(f"  {n}: {p}" for n, p in report.items())
