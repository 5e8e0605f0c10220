"""A beneficiary's years on the time-skipping server: a worker that can pay (bank simulator), the
monthly payroll run by hand (the test server has no Schedules), and the lifecycle driven through its
updates the way investigators and approvers would."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.testservice.v1 import UnlockTimeSkippingRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.application import StartApplicationInput, workflow_id_for
from domain.beneficiary import (
    BeneficiaryStatus,
    EnrolInput,
    LifecycleInput,
    LifecycleView,
    lifecycle_workflow_id,
)
from domain.calendar import CHINA_TZ
from domain.enums import AssistanceType, Stage
from domain.payroll import OrderStatus, PayrollInput, PayrollResult
from domain.staff import Actor, Role
from domain.tasks import CompleteTaskInput, TaskRecord, TaskType
from infra.bank.http import make_bank_gateway
from infra.models import Beneficiary, PayeeAccount, PaymentOrder, Region
from infra.settings import load_settings
from infra.sms.base import SmsGateway
from tests.conftest import BankSimulator, dated_test_server
from tests.factories import id_number, pii_vault, store_application
from tests.payroll.households import account_number
from tests.workflows.harness import (
    DEPARTMENTS,
    POLICIES,
    Case,
    Sessions,
    approval,
    beijing,
    data_check,
    home_visit,
    opinion,
    publicity_end,
    review,
)
from workers.build import WorkerResources, build_worker
from workflows.application import ApplicationWorkflow
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow
from workflows.payroll import PayrollWorkflow


@dataclass(frozen=True)
class County:
    """A county of its own for one test, so no other test's households share its payroll runs (a
    month's snapshot is frozen once per county)."""

    code: str
    township: str
    community: str
    clerk: Actor
    investigator: Actor
    reviewer: Actor
    approver: Actor


async def new_county(sessions: Sessions) -> County:
    code = f"9{random.randint(10_000, 99_999)}"
    township, community = code + "001", code + "001001"
    async with sessions.begin() as session:
        for region, name, level, parent in (
            (code, "测试区", "county", None), (township, "测试街道", "township", code),
            (community, "测试社区", "community", township),
        ):  # fmt: skip
            await session.merge(Region(code=region, name=name, level=level, parent_code=parent))
    return County(
        code, township, community,
        Actor(f"clerk_{code}", "窗口王芳", Role.INTAKE_CLERK, township),
        Actor(f"inv_{code}", "调查员李强", Role.INVESTIGATOR, township),
        Actor(f"reviewer_{code}", "审核员赵敏", Role.TOWNSHIP_REVIEWER, township),
        Actor(f"approver_{code}", "审批员周洁", Role.COUNTY_APPROVER, code),
    )  # fmt: skip


async def approve_dibao(case: Case, county: County, category: str) -> int:
    """Verification, democratic review, opinion, publicity, approval: the approved amount."""
    await case.complete(TaskType.HOME_VISIT, county.investigator, "completed", home_visit(60_000))
    if any(t.task_type is TaskType.DATA_CHECK for t in (await case.status()).open_tasks):
        await case.complete(TaskType.DATA_CHECK, county.investigator, "completed", data_check(45_000))
    await case.stage(Stage.DEMOCRATIC_REVIEW)
    await case.complete(TaskType.DEMOCRATIC_REVIEW, county.reviewer, "completed", review())
    await case.complete(
        TaskType.TOWNSHIP_OPINION, county.reviewer, "recommend_approve", opinion(category=category)
    )
    await case.stage(Stage.PUBLICITY)
    await case.advance_to(await publicity_end(case) + timedelta(minutes=30))
    await case.stage(Stage.APPROVAL)
    await case.complete(TaskType.COUNTY_APPROVAL, county.approver, "approve", approval())
    assert await closed(case.handle) is WorkflowExecutionStatus.COMPLETED
    status = await case.status()
    assert status.stage is Stage.APPROVED and status.approved_amount_fen
    return int(status.approved_amount_fen)


def new_applicant_id() -> str:
    """A fresh applicant: re-entry is matched on the ID number, so no other test may share it."""
    birth = f"19{random.randint(50, 99)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    return id_number(birth=birth, seq=random.randint(0, 999))


@dataclass
class World:
    """One test server (clock started at a chosen Beijing time), one worker with a bank."""

    env: WorkflowEnvironment
    sessions: Sessions
    bank: BankSimulator
    task_queue: str
    county: County

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(CHINA_TZ)

    async def advance_to(self, when: datetime) -> None:
        """Skip the clock to `when` (timers due on the way fire); no-op when already past it."""
        delta = when - await self.env.get_current_time()
        if delta > timedelta(0):
            await self.env.sleep(delta)
        await asyncio.sleep(0.3)  # let the worker finish what the timers woke

    async def advance_past_close(self, handle: WorkflowHandle[Any, Any], when: datetime) -> None:
        """Skip the clock to `when`, across the moment the lifecycle (an ABANDON child of an
        application workflow that has long closed) completes on its own.

        The Java test server takes a time-skipping lock when a child completes and releases it in
        the parent's state, which throws for a closed parent: the lock stays, and the clock only
        runs in real time (seen here: the lifecycle's history ends in WorkflowExecutionCompleted at
        09:00 of the exit date, then the sleep RPC times out). The real server has no such lock.
        Once the child has closed, one UnlockTimeSkipping balances the leaked lock and the sleep
        goes on to `when`."""
        sleeping = asyncio.create_task(self.env.sleep(when - await self.env.get_current_time()))
        try:
            await closed(handle, within=60)
            # Unlocked, the clock would be at `when` at once; a locked one only creeps in real time.
            done, _ = await asyncio.wait({sleeping}, timeout=2)
            if not done:
                await self.env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
            await sleeping
        finally:
            sleeping.cancel()
        await asyncio.sleep(0.3)

    async def file_application(self, number: str, applicant_id: str, *, green_channel: bool = False) -> Case:
        """An application accepted now, as the intake API would store and start it."""
        accepted = await self.env.get_current_time()
        c = self.county
        await store_application(
            self.sessions, number, accepted, county_code=c.code, township_code=c.township,
            community_code=c.community, household_size=3, applicant_id_number=applicant_id,
            green_channel=green_channel,
        )  # fmt: skip
        policy = POLICIES.resolve(AssistanceType.DIBAO, c.code)
        handle = await self.env.client.start_workflow(
            ApplicationWorkflow.run,
            StartApplicationInput(
                application_number=number, assistance_type=AssistanceType.DIBAO, county_code=c.code,
                township_code=c.township, community_code=c.community, green_channel=green_channel,
                accepted_at=accepted, household_size=3, declared_monthly_income_fen=60_000,
                materials_provided=list(policy.required_materials), masked_name="张*明", submitted_by=c.clerk,
            ),
            id=workflow_id_for(number), task_queue=self.task_queue,
        )  # fmt: skip
        return Case(self.env, self.sessions, handle, number)

    async def enrol_directly(
        self,
        number: str,
        category: str,
        amount_fen: int,
        start_month: str,
        *,
        history_limit: int = LifecycleInput.history_limit,
        phone: str = "13812345678",
    ) -> Life:
        """A household on file whose lifecycle is started directly (no application workflow as its
        parent), active once this returns."""
        c = self.county
        await store_application(
            self.sessions, number, await self.env.get_current_time(), county_code=c.code,
            township_code=c.township, community_code=c.community, applicant_id_number=new_applicant_id(),
            applicant_phone=phone,
        )  # fmt: skip
        enrolment = EnrolInput(
            number, AssistanceType.DIBAO, c.code, c.township, c.community, category, amount_fen, start_month,
            household_size=2,  # the stored application's (a household of unknown size: raises go to the county)
        )  # fmt: skip
        await self.env.client.start_workflow(
            BeneficiaryWorkflow.run,
            LifecycleInput(enrolment, history_limit=history_limit),
            id=lifecycle_workflow_id(number),
            task_queue=self.task_queue,
        )
        life = Life(self, number)
        await life.until(lambda v: v.status is BeneficiaryStatus.ACTIVE)
        return life

    async def register_account(self, number: str, seq: int) -> None:
        """The household's bank account (社会化发放), sealed as finance would register it."""
        vault = pii_vault()
        account = account_number(seq)
        async with self.sessions.begin() as session:
            session.add(
                PayeeAccount(
                    application_number=number, account_holder="张小明", account_sealed=vault.seal(account),
                    account_digest=vault.digest(account), account_last4=account[-4:], bank_name="测试银行",
                    updated_by="finance_haizhu", updated_at=datetime.now(UTC),
                )
            )  # fmt: skip

    async def pay(self, month: str) -> PayrollResult:
        """The county's payroll of `month`, on its payroll day (or now, if that has passed)."""
        day = POLICIES.resolve_standards(self.county.code).payroll_day
        await self.advance_to(beijing(int(month[:4]), int(month[5:7]), day, 9))
        handle = await self.env.client.start_workflow(
            PayrollWorkflow.run, PayrollInput(self.county.code, month, batch_size=50, step_timeout_seconds=30),
            id=f"payroll-{self.county.code}-{month}-{uuid.uuid4().hex[:6]}", task_queue=self.task_queue,
        )  # fmt: skip
        assert await closed(handle) is WorkflowExecutionStatus.COMPLETED
        result: PayrollResult | None = await handle.query(
            PayrollWorkflow.progress
        )  # not result(): see closed()
        assert result is not None
        return result

    async def orders(self, *numbers: str) -> list[PaymentOrder]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(PaymentOrder)
                .where(PaymentOrder.application_number.in_(numbers))
                .order_by(PaymentOrder.month)
            )
            return list(rows)

    async def paid(self, *numbers: str) -> dict[str, list[tuple[str, int]]]:
        """Month → [(application number, amount)] of every order the bank credited."""
        out: dict[str, list[tuple[str, int]]] = {}
        for order in await self.orders(*numbers):
            if order.status == OrderStatus.PAID.value:
                assert order.month is not None
                out.setdefault(order.month, []).append((order.application_number, order.amount_fen))
        return out

    async def beneficiary(self, number: str) -> Beneficiary:
        async with self.sessions() as session:
            row = await session.scalar(select(Beneficiary).where(Beneficiary.application_number == number))
        assert row is not None, f"{number} is not enrolled"
        return row


async def closed(handle: WorkflowHandle[Any, Any], within: float = 30.0) -> WorkflowExecutionStatus:
    """Wait until the workflow has closed, without asking for its result: while a client awaits a
    result (even of a closed workflow) the test server skips time — past activities running in real
    time and the lifecycle's monthly timers. Polling keeps the clock where the test put it; read
    the outcome with a query instead."""
    # The raw RPC, as harness.Case does: the SDK's typed describe cannot decode the test server's
    # unset Datetime search attributes.
    request = DescribeWorkflowExecutionRequest(
        namespace=handle._client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
    )
    service = handle._client.workflow_service
    async with asyncio.timeout(within):
        while True:
            raw = await service.describe_workflow_execution(request)
            status = WorkflowExecutionStatus(raw.workflow_execution_info.status)
            if status is not WorkflowExecutionStatus.RUNNING:
                return status
            await asyncio.sleep(0.05)


@asynccontextmanager
async def world_at(
    start: datetime, sessions: Sessions, bank: BankSimulator, county: County, sms: SmsGateway | None = None
) -> AsyncIterator[World]:
    settings = load_settings(bank_base_url=bank.base_url, bank_timeout_seconds=5)
    gateway = make_bank_gateway(settings)
    try:
        async with dated_test_server(start) as env:
            task_queue = f"tq-life-{uuid.uuid4().hex[:8]}"
            resources = WorkerResources(
                sessions, POLICIES, DEPARTMENTS.adapters, random.Random(7), bank=gateway,
                payer_account=settings.bank_payer_account, pii=pii_vault(), sms=sms,
            )  # fmt: skip
            async with build_worker(env.client, task_queue, resources):
                yield World(env, sessions, bank, task_queue, county)
    finally:
        await gateway.aclose()


@dataclass
class Life:
    """The BeneficiaryWorkflow of one household (whatever run of it is current)."""

    world: World
    number: str

    @property
    def handle(self) -> WorkflowHandle[BeneficiaryWorkflow, Any]:
        return self.world.env.client.get_workflow_handle_for(
            BeneficiaryWorkflow.run, lifecycle_workflow_id(self.number)
        )

    async def view(self) -> LifecycleView:
        # A query that reaches a run just as it continues as new can be lost by the test server
        # (the worker's answer finds the run closed): time it out, and `until` asks again.
        result: LifecycleView = await self.handle.query(
            BeneficiaryWorkflow.view, rpc_timeout=timedelta(seconds=3)
        )
        return result

    async def until(self, check: Callable[[LifecycleView], bool], within: float = 30.0) -> LifecycleView:
        async with asyncio.timeout(within):
            while True:
                try:
                    view = await self.view()
                    if check(view):
                        return view
                except Exception:
                    pass
                await asyncio.sleep(0.05)

    async def task(self, task_type: TaskType) -> TaskRecord:
        view = await self.until(lambda v: any(t.task_type is task_type for t in v.open_tasks))
        return next(t for t in view.open_tasks if t.task_type is task_type)

    async def complete(
        self, task_type: TaskType, actor: Actor, outcome: str, form: dict[str, Any]
    ) -> TaskRecord:
        task = await self.task(task_type)
        done: TaskRecord = await self.handle.execute_update(
            BeneficiaryWorkflow.complete_task, CompleteTaskInput(task.task_id, actor, outcome, form)
        )
        # The workflow applies the outcome in its main loop: wait until the task is gone.
        await self.until(lambda v: all(t.task_id != task.task_id for t in v.open_tasks))
        await asyncio.sleep(0.3)
        return done


def re_review(on: str, outcome_note: str = "家庭收入无明显变化", **extra: Any) -> dict[str, Any]:
    return {"visited_on": on, "findings": outcome_note, "monthly_income_fen": 60_000, **extra}


def exit_notice() -> dict[str, Any]:
    return {
        "reasons": "家庭成员已稳定就业，人均收入连续三个月高于当地低保标准",
        "policy_basis": "《最低生活保障审核确认办法》第三十条",
        "referral": "已转介区人社局参加职业技能培训并推荐就业岗位",
    }


@dataclass
class Gate:
    """Holds one activity call in the worker until the test opens it, so a test can act at the
    exact moment the workflow is waiting on that call (no timing luck involved)."""

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def hold(self) -> None:
        self.reached.set()
        await self.opened.wait()


async def run_histories(life: Life) -> list[list[Any]]:
    """The histories of every run of the lifecycle, first run first (following continue-as-new
    back from the current run)."""
    client = life.world.env.client
    out: list[list[Any]] = []
    run_id: str | None = None
    while True:
        handle = client.get_workflow_handle(lifecycle_workflow_id(life.number), run_id=run_id)
        events = list((await handle.fetch_history()).events)
        out.insert(0, events)
        run_id = events[0].workflow_execution_started_event_attributes.continued_execution_run_id or None
        if run_id is None:
            return out
