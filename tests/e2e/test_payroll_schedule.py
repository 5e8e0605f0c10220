"""The payroll and quarterly Schedules on the real dev server: a run the Schedule starts late (a
catch-up, a backfill) pays or checks the period it was scheduled for, months it never ran are
reported to finance and supervisors, the Schedule's run and finance's run of a month are one run,
and the schedules' policies are set — and brought up to date on schedules made before them."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleBackfill,
    ScheduleOverlapPolicy,
    ScheduleState,
    WorkflowHandle,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.quarterly import BeneficiaryPage
from domain.calendar import CHINA_TZ
from domain.payroll import PayrollInput, payroll_workflow_id
from domain.policy import RegionStandards
from infra.models import Disclosure, Notification, PayrollRun
from infra.pii import PiiVault
from infra.schedules import (
    CATCHUP_WINDOW,
    disclosure_schedule,
    ensure_county_schedules,
    payroll_schedule,
    payroll_schedule_id,
    quarterly_schedule,
)
from tests.conftest import BankSimulator
from tests.e2e.money_support import Desk, money_api
from tests.e2e.support import Sessions, eventually
from tests.e2e.test_payroll import new_county, payroll_worker, vault
from tests.payroll.households import seed_households
from workflows.payroll import PayrollWorkflow
from workflows.quarterly_recheck import QuarterlyRecheckWorkflow

__all__ = ["money_api", "payroll_worker", "vault"]  # fixtures, used by name

STANDARDS = RegionStandards(payroll_day=10, disclosure_day=4)


async def started(client: Client, workflow_id: str) -> WorkflowHandle[object, object]:
    """The handle of a workflow once it exists (a Schedule starts it a moment after asking)."""

    async def described() -> WorkflowHandle[object, object] | None:
        handle = client.get_workflow_handle(workflow_id)
        try:
            await handle.describe()
        except RPCError:
            return None
        return handle

    return await eventually(described, within=60)


async def test_a_late_scheduled_run_pays_its_scheduled_month_and_reports_the_month_never_run(
    dev_env: WorkflowEnvironment, payroll_worker: Worker, sessions: Sessions, vault: PiiVault,
    bank_simulator: BankSimulator, task_queue: str,
) -> None:  # fmt: skip
    client, county = dev_env.client, new_county()
    numbers = await seed_households(sessions, vault, county, 3, first=random.randint(1, 10**9), tag="S")
    # September was paid; October's payroll day passed during an outage longer than the catch-up.
    await client.execute_workflow(
        PayrollWorkflow.run, PayrollInput(county, "2026-09", step_timeout_seconds=5),
        id=f"payroll-{county}-2026-09", task_queue=task_queue,
    )  # fmt: skip
    sid = f"{payroll_schedule_id(county)}-{uuid.uuid4().hex[:6]}"
    await client.create_schedule(sid, payroll_schedule(county, STANDARDS, task_queue))
    schedule = client.get_schedule_handle(sid)
    try:
        # The run of 10 November 08:00 (Beijing) starts now, in December — as after an outage.
        nov_10 = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
        await schedule.backfill(
            ScheduleBackfill(
                nov_10 - timedelta(minutes=1), nov_10 + timedelta(minutes=1), ScheduleOverlapPolicy.ALLOW_ALL
            )
        )
        november = await started(client, f"payroll-{county}-2026-11")
        result = await asyncio.wait_for(november.result(), 120)
    finally:
        await schedule.delete()
    assert result["month"] == "2026-11" and result["paid"] == 3  # type: ignore[index]
    async with sessions() as session:
        months = set(await session.scalars(select(PayrollRun.month).where(PayrollRun.county_code == county)))
        notices = (
            await session.scalars(select(Notification).where(Notification.region_code == county))
        ).all()
    assert months == {"2026-09", "2026-11"}  # November paid, not December
    assert {n: len(bank_simulator.state.credits_of(f"{n}:2026-11")) for n in numbers} == dict.fromkeys(
        numbers, 1
    )
    assert all(bank_simulator.state.credits_of(f"{n}:2026-12") == [] for n in numbers)
    # October was never run, November's started weeks late: finance officers and supervisors
    # are told, once each.
    assert sorted((n.recipient_role, n.kind) for n in notices) == [
        ("finance_officer", "payroll_late"),
        ("finance_officer", "payroll_missed"),
        ("supervisor", "payroll_late"),
        ("supervisor", "payroll_missed"),
    ]
    missed = [n.message for n in notices if n.kind == "payroll_missed"]
    late = [n.message for n in notices if n.kind == "payroll_late"]
    assert all("2026-10" in m and "手动发起" in m for m in missed)
    assert all("2026-11" in m and "2026-11-10 08:00" in m and "晚于计划时间" in m for m in late)


async def test_the_schedules_run_and_finances_run_of_a_month_are_one_run(
    dev_env: WorkflowEnvironment, money_api: httpx.AsyncClient, sessions: Sessions, vault: PiiVault,
    bank_simulator: BankSimulator, task_queue: str,
) -> None:  # fmt: skip
    # 海珠区 (the demo finance officer's county), a month no other test pays there.
    client, county, month = dev_env.client, "440105", datetime.now(UTC).astimezone(CHINA_TZ).strftime("%Y-%m")
    numbers = await seed_households(sessions, vault, county, 4, first=random.randint(1, 10**9), tag="W")
    sid = f"payroll-{county}-test-{uuid.uuid4().hex[:6]}"
    await client.create_schedule(sid, payroll_schedule(county, STANDARDS, task_queue))
    schedule = client.get_schedule_handle(sid)
    try:
        await schedule.trigger()  # the Schedule's run of today: this month
        month_run = await started(client, payroll_workflow_id(county, month))
        run_id = (await month_run.describe()).run_id
        # Finance starts the month through the API meanwhile: it joins that run, not a second one.
        response = await Desk(money_api).call(
            "POST", "finance_haizhu", "/api/v1/payroll/runs", json={"county_code": county, "month": month}
        )
        assert response.status_code == 202, response.text
        assert (response.json()["workflow_id"], response.json()["run_id"]) == (month_run.id, run_id)
        await asyncio.wait_for(month_run.result(), 120)
    finally:
        await schedule.delete()
    async with sessions() as session:
        run = await session.scalar(
            select(PayrollRun).where(PayrollRun.county_code == county, PayrollRun.month == month)
        )
    assert run is not None and run.runs == 1  # one run did the work
    assert {n: len(bank_simulator.state.credits_of(f"{n}:{month}")) for n in numbers} == dict.fromkeys(
        numbers, 1
    )


def test_every_schedule_buffers_one_run_and_catches_up_for_a_few_days() -> None:
    for schedule in (
        payroll_schedule("440105", STANDARDS, "tq"),
        disclosure_schedule("440105", STANDARDS, "tq"),
        quarterly_schedule("tq"),
    ):
        assert schedule.policy.overlap is ScheduleOverlapPolicy.BUFFER_ONE
        assert schedule.policy.catchup_window == CATCHUP_WINDOW
        assert timedelta(days=1) <= CATCHUP_WINDOW <= timedelta(days=7)


async def test_an_existing_schedule_with_the_old_policy_is_updated_and_keeps_its_pause(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    client, county = dev_env.client, new_county()
    wanted = payroll_schedule(county, STANDARDS, task_queue)
    # As the worker of the previous release created it: no policy (skip overlaps, one-year
    # catch-up), paused by an operator.
    old = Schedule(action=wanted.action, spec=wanted.spec, state=ScheduleState(paused=True, note="年底暂停"))
    await client.create_schedule(payroll_schedule_id(county), old)
    try:
        created = await ensure_county_schedules(client, task_queue, {county: STANDARDS})
        assert payroll_schedule_id(county) not in created
        described = (await client.get_schedule_handle(payroll_schedule_id(county)).describe()).schedule
        assert described.policy.overlap is ScheduleOverlapPolicy.BUFFER_ONE
        assert described.policy.catchup_window == CATCHUP_WINDOW
        assert described.state.paused and described.state.note == "年底暂停"
    finally:
        for sid in (payroll_schedule_id(county), f"disclosure-{county}"):
            await client.get_schedule_handle(sid).delete()


@activity.defn(name="list_beneficiaries")
async def list_nobody(after_id: int, limit: int, county_code: str | None = None) -> BeneficiaryPage:
    return BeneficiaryPage([], None)


async def test_a_late_quarterly_run_checks_the_quarter_it_was_scheduled_for(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = dev_env.client
    sid = f"quarterly-test-{uuid.uuid4().hex[:6]}"
    async with Worker(
        client, task_queue=task_queue, workflows=[QuarterlyRecheckWorkflow], activities=[list_nobody]
    ):
        await client.create_schedule(sid, quarterly_schedule(task_queue))
        schedule = client.get_schedule_handle(sid)
        try:
            # 1 October 02:00 Beijing (the run for 2026Q3), started now, in December.
            oct_1 = datetime(2026, 9, 30, 18, 0, tzinfo=UTC)
            await schedule.backfill(
                ScheduleBackfill(
                    oct_1 - timedelta(minutes=1),
                    oct_1 + timedelta(minutes=1),
                    ScheduleOverlapPolicy.ALLOW_ALL,
                )
            )
            run = await started(client, "quarterly-recheck-2026-09-30T18:00:00Z")
            result = await asyncio.wait_for(run.result(), 60)
        finally:
            await schedule.delete()
    assert result["period"] == "2026Q3"  # type: ignore[index]


async def test_a_late_disclosure_run_publishes_the_month_before_its_scheduled_day(
    dev_env: WorkflowEnvironment, payroll_worker: Worker, sessions: Sessions, task_queue: str
) -> None:
    client, county = dev_env.client, new_county()
    sid = f"disclosure-{county}-{uuid.uuid4().hex[:6]}"
    await client.create_schedule(sid, disclosure_schedule(county, STANDARDS, task_queue))
    schedule = client.get_schedule_handle(sid)
    try:
        # The run of 4 November 07:00 (Beijing), started now, in December: it publishes October.
        nov_4 = datetime(2026, 11, 3, 23, 0, tzinfo=UTC)
        await schedule.backfill(
            ScheduleBackfill(
                nov_4 - timedelta(minutes=1), nov_4 + timedelta(minutes=1), ScheduleOverlapPolicy.ALLOW_ALL
            )
        )
        run = await started(client, f"disclosure-{county}-2026-11-03T23:00:00Z")
        await asyncio.wait_for(run.result(), 60)
    finally:
        await schedule.delete()
    async with sessions() as session:
        months = list(await session.scalars(select(Disclosure.month).where(Disclosure.county_code == county)))
    assert months == ["2026-10"]
