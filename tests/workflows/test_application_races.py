"""Updates that race: two sent at once must each see what the other changed, whatever order the
workflow runs them in, and notices of a second round must not be mistaken for the first's.

To put two updates in one activation (the case the validators must get right), the worker is
stopped, both updates are sent and seen admitted by the server, and a new worker picks them up
together in one workflow task."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from domain.application import ExtendDeadlineInput, StartApplicationInput, WithdrawInput, workflow_id_for
from domain.enums import AssistanceType, Stage
from domain.tasks import CompleteTaskInput, TaskType
from tests.conftest import dated_test_server
from tests.factories import pii_vault, store_application
from tests.workflows.harness import (
    APPROVER,
    CLERK,
    DEPARTMENTS,
    HEAD,
    POLICIES,
    REVIEWER,
    Case,
    Sessions,
    approval,
    beijing,
    case_at,
    limit,
    opinion,
    publicity_end,
    review,
    to_approval,
    verify,
)
from workers.build import WorkerResources, build_worker
from workflows.application import ApplicationWorkflow
from workflows.queues import department_queue


@dataclass
class WorkerSwitch:
    """The case's worker, which a test can stop and start again. It caches no workflow: a cached
    one would be bound to the stopped worker's sticky queue, which the Java test server never
    gives up (it implements neither the sticky timeout nor ResetStickyTaskQueue)."""

    client: Client
    task_queue: str
    resources: WorkerResources
    _worker: Worker | None = None
    _running: asyncio.Task[None] | None = field(default=None, repr=False)
    _config: Any = None
    # The department calls' poller (their own queue): activities only, so it never stops.
    _departments: Worker | None = None
    _departments_running: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        if self._config is None:
            # build_worker's workflows and activities, read from workers that never run (on a
            # queue of their own: the SDK refuses two workers on one queue and client).
            unused = build_worker(self.client, f"{self.task_queue}-config", self.resources)
            self._config = unused.main.config()
            self._config.update(task_queue=self.task_queue, max_cached_workflows=0)
            departments = unused.departments.config()
            departments.update(task_queue=department_queue(self.task_queue))
            self._departments = Worker(**departments)
            self._departments_running = asyncio.create_task(self._departments.run())
        self._worker = Worker(**self._config)
        self._running = asyncio.create_task(self._worker.run())

    async def close(self) -> None:
        if self._worker is not None:
            await self.stop()
        if self._departments is not None and self._departments_running is not None:
            await self._departments.shutdown()
            await self._departments_running

    async def stop(self) -> None:
        assert self._worker is not None and self._running is not None
        await self._worker.shutdown()
        await self._running
        self._worker = self._running = None


@asynccontextmanager
async def switchable_case(
    sessions: Sessions, number: str, assistance_type: AssistanceType = AssistanceType.DIBAO
) -> AsyncIterator[tuple[Case, WorkerSwitch]]:
    """Like harness.case_at (a case accepted 2026-09-28 10:00), with a worker that stops."""
    async with dated_test_server(beijing(2026, 9, 28, 10)) as env:
        resources = WorkerResources(
            sessions, POLICIES, DEPARTMENTS.adapters, random.Random(7), pii=pii_vault()
        )
        switch = WorkerSwitch(env.client, f"tq-{number}", resources)
        await switch.start()
        try:
            accepted = await env.get_current_time()
            await store_application(sessions, number, accepted, assistance_type=assistance_type.value)
            policy = POLICIES.resolve(assistance_type, "440105")
            start = StartApplicationInput(
                application_number=number, assistance_type=assistance_type, county_code="440105",
                township_code="440105001", community_code="440105001001", green_channel=False,
                accepted_at=accepted, household_size=3, declared_monthly_income_fen=60_000,
                materials_provided=[] if policy.emergency else list(policy.required_materials),
                masked_name="张*明", submitted_by=CLERK,
            )  # fmt: skip
            handle = await env.client.start_workflow(
                ApplicationWorkflow.run, start, id=workflow_id_for(number), task_queue=switch.task_queue
            )
            yield Case(env, sessions, handle, number), switch
        finally:
            await switch.close()


async def _admitted(case: Case, update_id: str) -> None:
    """Until the server knows the update (it answers NOT_FOUND for one it has not admitted)."""
    handle: WorkflowUpdateHandle[Any] = case.handle.get_update_handle(update_id)
    async with asyncio.timeout(30):
        while True:
            try:
                await handle.result(rpc_timeout=timedelta(milliseconds=300))
                return
            except RPCError as exc:
                if exc.status is RPCStatusCode.NOT_FOUND:
                    await asyncio.sleep(0.05)
                    continue
                return  # deadline exceeded: admitted, waiting for a worker
            except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError):
                return  # admitted, waiting for a worker (or already answered)


async def in_one_activation(case: Case, switch: WorkerSwitch, *updates: tuple[str, Any]) -> list[Any]:
    """Send the updates (name, argument) while no worker runs, so that the next worker receives
    them in one workflow task; their results or refusals, in order."""
    await case.idle()
    await switch.stop()
    calls: list[Awaitable[Any]] = []
    for n, (name, arg) in enumerate(updates):
        update_id = f"race-{n}-{name}"
        calls.append(
            asyncio.create_task(case.handle.execute_update(name, arg, id=update_id, result_type=None))
        )
        await _admitted(case, update_id)
    await switch.start()
    return list(await asyncio.gather(*calls, return_exceptions=True))


def _refusal(outcome: Any) -> str | None:
    if isinstance(outcome, WorkflowUpdateFailedError) and isinstance(outcome.cause, ApplicationError):
        return outcome.cause.type
    assert not isinstance(outcome, BaseException), outcome
    return None


async def test_a_withdrawal_sent_with_the_approval_is_refused_and_the_case_closes_approved(
    sessions: Sessions, application_number: str
) -> None:
    async with switchable_case(sessions, application_number) as (case, switch):
        await to_approval(case)
        decision = await case.task(TaskType.COUNTY_APPROVAL)
        approve = CompleteTaskInput(decision.task_id, APPROVER, "approve", approval())
        withdraw = WithdrawInput("申请人外出务工，不再申请", CLERK)
        approved, withdrawn = await in_one_activation(
            case, switch, ("complete_task", approve), ("withdraw", withdraw)
        )
        assert _refusal(approved) is None
        assert _refusal(withdrawn) == "CaseClosed"
        async with asyncio.timeout(60):
            result = await case.handle.result()
        assert result.final_stage is Stage.APPROVED
        assert await case.events("withdrawn") == []


async def test_a_withdrawal_sent_before_the_approval_wins_and_the_approval_is_refused(
    sessions: Sessions, application_number: str
) -> None:
    async with switchable_case(sessions, application_number) as (case, switch):
        await to_approval(case)
        decision = await case.task(TaskType.COUNTY_APPROVAL)
        withdraw = WithdrawInput("申请人外出务工，不再申请", CLERK)
        approve = CompleteTaskInput(decision.task_id, APPROVER, "approve", approval())
        withdrawn, approved = await in_one_activation(
            case, switch, ("withdraw", withdraw), ("complete_task", approve)
        )
        assert _refusal(withdrawn) is None
        assert _refusal(approved) == "CaseClosed"
        async with asyncio.timeout(60):
            result = await case.handle.result()
        assert result.final_stage is Stage.WITHDRAWN
        assert await case.events("approved") == []


async def test_a_withdrawal_sent_with_the_township_heads_rescue_cannot_undo_the_paid_rescue(
    sessions: Sessions, application_number: str
) -> None:
    async with switchable_case(sessions, application_number, AssistanceType.TEMP_EMERGENCY) as (case, switch):
        decision = await case.task(TaskType.EMERGENCY_APPROVAL)
        rescue = {
            "amount_fen": 200_000,
            "form_of_aid": "cash",
            "severity": "critical",
            "opinion": "突发火灾，先行救助",
        }
        approve = CompleteTaskInput(decision.task_id, HEAD, "approve", rescue)
        withdraw = WithdrawInput("家属已筹到钱", CLERK)
        approved, withdrawn = await in_one_activation(
            case, switch, ("complete_task", approve), ("withdraw", withdraw)
        )
        assert (_refusal(approved), _refusal(withdrawn)) == (None, "CaseClosed")
        await case.task(TaskType.EMERGENCY_PAPERWORK)
        await case.idle()
        status = await case.status()
        assert status.stage is Stage.PAPERWORK and status.approved_amount_fen == 200_000
        assert await case.events("withdrawn") == []


async def test_two_extensions_at_once_extend_the_deadline_once(
    sessions: Sessions, application_number: str
) -> None:
    async with switchable_case(sessions, application_number) as (case, switch):
        await verify(case)
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        first = ExtendDeadlineInput("家庭成员在外地，需异地协查", APPROVER)
        second = ExtendDeadlineInput("需补充调取银行流水", APPROVER)
        outcomes = await in_one_activation(
            case, switch, ("extend_deadline", first), ("extend_deadline", second)
        )
        assert [_refusal(o) for o in outcomes] == [None, "AlreadyExtended"]
        await case.idle()
        assert len(await case.events("extended")) == 1
        assert limit(await case.status(), "whole_process").due_date == "2026-12-04"


async def test_the_second_rounds_reminder_and_breach_notices_after_a_county_return_are_sent(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await to_approval(case)
        # Round one: the county lets its 10 working days run out (due 10/28), then returns the file.
        await case.advance_to(beijing(2026, 10, 29, 1))
        await case.complete(
            TaskType.COUNTY_APPROVAL, APPROVER, "return", {"reasons": "未核实申请人配偶的灵活就业收入"}
        )
        await case.stage(Stage.VERIFICATION)
        await verify(case)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion())
        await case.stage(Stage.PUBLICITY)
        await case.advance_to(await publicity_end(case) + timedelta(minutes=30))
        await case.stage(Stage.APPROVAL)
        await case.idle()
        second_due = limit(await case.status(), "approval").due_date
        assert second_due != "2026-10-28"
        # Round two runs out too: its supervisor is reminded and told of the breach again.
        await case.advance_to(beijing(*map(int, second_due.split("-")), 23, 0))  # type: ignore[arg-type]
        await case.advance_to(await case.now() + timedelta(hours=2))

        def about_approval(messages: list[Any]) -> list[str]:
            return sorted(n.message for n in messages if "县级审批时限" in n.message)

        reminders = about_approval(await case.notifications("reminder"))
        breaches = about_approval(await case.notifications("breach"))
        assert sum("2026-10-28" in m for m in reminders) == 2  # approver and supervisor, round one
        assert sum(second_due in m for m in reminders) == 2  # and again in round two
        assert [second_due in m for m in breaches].count(True) == 1
        assert [("2026-10-28" in m) for m in breaches].count(True) == 1
        assert len([b for b in await case.breaches() if b.limit_name == "approval"]) == 2
