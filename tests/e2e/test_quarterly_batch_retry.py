"""The quarterly re-check on the real dev server, on a database of its own (five households, asked
about two to a query): a department down for the second query fails the batch attempt, and
Temporal's retry resumes from the attempt's last heartbeat — the first two households, written
before it, are not asked about again."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.quarterly import QuarterlyActivities
from domain.departments import Department
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade_async
from infra.policy_config import load_policy_book
from infra.settings import load_settings
from tests.factories import pii_vault
from tests.quarterly_households import CountingDepartment, enrol
from workflows.quarterly_recheck import (
    QuarterlyRecheckInput,
    QuarterlyRecheckResult,
    QuarterlyRecheckWorkflow,
)
from workflows.queues import department_queue


async def test_a_batch_retried_after_a_department_outage_resumes_where_it_stopped(
    dev_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'recheck.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        _, people = await enrol(engine, 5)
        department = CountingDepartment(down_at=people[2])

        def adapters(county: str) -> Mapping[Department, Any]:
            return {Department.TAX: department}

        activities = QuarterlyActivities(
            make_session_factory(engine), adapters, load_policy_book(load_settings().policy_file), pii_vault()
        )
        main = Worker(
            dev_env.client, task_queue=task_queue, workflows=[QuarterlyRecheckWorkflow],
            activities=[activities.list_beneficiaries],
        )  # fmt: skip
        # The batches call the departments: they run on the departments' queue.
        departments = Worker(
            dev_env.client, task_queue=department_queue(task_queue), activities=[activities.recheck_batch]
        )
        async with main, departments:
            result: QuarterlyRecheckResult = await asyncio.wait_for(
                dev_env.client.execute_workflow(
                    QuarterlyRecheckWorkflow.run,
                    QuarterlyRecheckInput("2026Q4", households_per_query=2),
                    id=f"quarterly-retry-{task_queue}",
                    task_queue=task_queue,
                ),
                60,
            )
    finally:
        await engine.dispose()
    assert result.checked == 5 and result.failed_households == 0
    # The second query (people 2 and 3) failed and was asked again; nothing else twice.
    assert department.asked == Counter({people[0]: 1, people[1]: 1, people[2]: 2, people[3]: 2, people[4]: 1})
