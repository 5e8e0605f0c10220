"""The lifecycle at its edges: a fraud report or a staff action that lands while the exit takes
effect, a history budget kept across continue-as-new, and a review month left in the past."""

from __future__ import annotations

import asyncio
import random
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateStage

from activities.beneficiaries import BeneficiaryActivities
from activities.case_records import CaseRecordActivities
from domain.beneficiary import (
    BeneficiaryStatus,
    ChangeKind,
    ChangeReport,
    FraudFinding,
    ReportChangeInput,
    ReportFraudInput,
    UpdateBeneficiaryInput,
)
from domain.records import SaveTaskInput
from domain.tasks import CompleteTaskInput, TaskStatus, TaskType
from infra.models import CreditRecord, Recovery, Task
from tests.conftest import BankSimulator
from tests.workflows.harness import Sessions, beijing
from tests.workflows.lifecycle_support import (
    Gate,
    closed,
    exit_notice,
    new_county,
    re_review,
    run_histories,
    world_at,
)
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow

ADJUSTED = 120_000


def income_change(actor: Any) -> ReportChangeInput:
    report = ChangeReport(
        kind=ChangeKind.INCOME_CHANGE,
        description="户主在本地工厂找到工作，收入增加",
        occurred_on=date(2027, 4, 28),
    )
    return ReportChangeInput(report, actor)


async def test_a_fraud_report_accepted_as_the_exit_takes_effect_still_stops_and_recovers(
    sessions: Sessions, bank_simulator: BankSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """May: a re-review adjusts the amount from June and a change re-check exits the household
    from June. On 1 June the lifecycle writes June's amount and then the exit: a fraud report
    accepted while it writes the amount must still stop, recover and answer its caller."""
    gate = Gate()
    write = BeneficiaryActivities.update_beneficiary

    # `self` unannotated: the SDK then takes the input type from the next parameter.
    @activity.defn(name="update_beneficiary")
    async def held(self, input: UpdateBeneficiaryInput) -> None:  # type: ignore[no-untyped-def]
        if input.amount_fen == ADJUSTED:
            await gate.hold()
        await write(self, input)

    monkeypatch.setattr(BeneficiaryActivities, "update_beneficiary", held)
    county = await new_county(sessions)
    number = f"{county.code}-X{random.randint(0, 10**6):06d}"
    async with world_at(beijing(2027, 1, 20, 10), sessions, bank_simulator, county) as world:
        await world.register_account(number, random.randint(1, 10**9))
        life = await world.enrol_directly(number, "A", 100_000, "2027-02")
        await world.advance_to(beijing(2027, 5, 1, 10))  # class A: May's re-review
        await life.complete(
            TaskType.RE_REVIEW,
            county.investigator,
            "adjust",
            re_review("2027-05-01", new_amount_fen=ADJUSTED),
        )
        await life.handle.execute_update(
            BeneficiaryWorkflow.report_change, income_change(county.investigator)
        )
        await life.complete(
            TaskType.CHANGE_RECHECK, county.investigator, "exit",
            re_review("2027-05-01", "户主已稳定就业", exit_notice=exit_notice()),
        )  # fmt: skip
        view = await life.view()
        assert (view.status, view.exit_month, view.pending_from_month) == (
            BeneficiaryStatus.EXITING, "2027-06", "2027-06",
        )  # fmt: skip
        await world.pay("2027-05")

        clock = asyncio.create_task(world.advance_to(beijing(2027, 6, 1, 9, 1)))
        async with asyncio.timeout(60):
            await gate.reached.wait()  # 1 June: the lifecycle is writing June's amount
        finding = FraudFinding(
            findings="隐瞒经营性收入：自2027年5月起经营网店，月收入约6000元",
            since_month="2027-05",
            policy_basis="《社会救助暂行办法》第六十八条",
        )
        report = await life.handle.start_update(
            BeneficiaryWorkflow.report_fraud,
            ReportFraudInput(finding, county.approver),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        gate.opened.set()
        stopped = await asyncio.wait_for(report.result(), timeout=30)
        await clock
        assert stopped.status is BeneficiaryStatus.STOPPED
        assert await closed(life.handle) is WorkflowExecutionStatus.COMPLETED
        assert (await world.beneficiary(number)).status == "stopped"
        async with sessions() as session:
            recovery = await session.scalar(select(Recovery).where(Recovery.application_number == number))
            credit = list(
                await session.scalars(select(CreditRecord).where(CreditRecord.application_number == number))
            )
        assert recovery is not None and recovery.amount_due_fen == 100_000  # May, paid before the stop
        assert [c.kind for c in credit] == ["fraud"]


async def test_a_task_completed_as_the_exit_takes_effect_gets_its_answer_before_the_run_closes(
    sessions: Sessions, bank_simulator: BankSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    save = CaseRecordActivities.save_task

    @activity.defn(name="save_task")
    async def held(self, input: SaveTaskInput) -> None:  # type: ignore[no-untyped-def]
        if input.task.task_type is TaskType.CHANGE_RECHECK and input.task.status is TaskStatus.COMPLETED:
            await gate.hold()
        await save(self, input)

    monkeypatch.setattr(CaseRecordActivities, "save_task", held)
    county = await new_county(sessions)
    number = f"{county.code}-H{random.randint(0, 10**6):06d}"
    async with world_at(beijing(2027, 1, 20, 10), sessions, bank_simulator, county) as world:
        life = await world.enrol_directly(number, "A", 100_000, "2027-02")
        await world.advance_to(beijing(2027, 5, 1, 10))
        await life.complete(
            TaskType.RE_REVIEW, county.investigator, "exit",
            re_review("2027-05-01", "户主已稳定就业", exit_notice=exit_notice()),
        )  # fmt: skip
        await life.handle.execute_update(
            BeneficiaryWorkflow.report_change, income_change(county.investigator)
        )
        recheck = await life.task(TaskType.CHANGE_RECHECK)
        # 1 June, before the lifecycle's 09:00 wake-up: the re-check is done as June (the exit's
        # month) has begun, so the run applies it and then the exit, while the save is held.
        await world.advance_to(beijing(2027, 6, 1, 8, 30))
        assert (await life.view()).status is BeneficiaryStatus.EXITING
        done = await life.handle.start_update(
            BeneficiaryWorkflow.complete_task,
            CompleteTaskInput(recheck.task_id, county.investigator, "continue", re_review("2027-05-31")),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        async with asyncio.timeout(60):
            await gate.reached.wait()
        await life.until(lambda v: v.status is BeneficiaryStatus.EXITED)
        gate.opened.set()
        task = await asyncio.wait_for(done.result(), timeout=30)
        assert task.status is TaskStatus.COMPLETED
        assert await closed(life.handle) is WorkflowExecutionStatus.COMPLETED
        async with sessions() as session:
            row = await session.get(Task, recheck.task_id)
        assert row is not None and row.status == "completed"


async def test_continue_as_new_keeps_the_history_budget(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    number = f"{county.code}-C{random.randint(0, 10**6):06d}"
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        life = await world.enrol_directly(number, "A", 100_000, "2027-01", history_limit=20)
        for month in range(4, 13, 3):  # a year of class A re-reviews, each done on the 3rd
            await world.advance_to(beijing(2027, month, 3, 10))
            await life.complete(
                TaskType.RE_REVIEW, county.investigator, "continue", re_review(f"2027-{month:02d}-02")
            )
        await world.advance_to(beijing(2028, 1, 3, 10))
        await life.task(TaskType.RE_REVIEW)
        runs = await run_histories(life)
        # Every run stays near its budget of 20 events, so the year takes several runs (a second
        # run given the default budget of 2,000 would have carried the rest of the year alone).
        assert len(runs) >= 4
        assert all(len(events) < 80 for events in runs[:-1])
        assert (await life.view()).reviews_done == 3


async def test_a_review_month_passed_while_a_review_is_open_does_not_poll(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    number = f"{county.code}-W{random.randint(0, 10**6):06d}"
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        life = await world.enrol_directly(number, "A", 100_000, "2027-01")
        await world.advance_to(beijing(2027, 4, 2, 10))
        april = await life.task(TaskType.RE_REVIEW)
        # Nobody does April's review: reminded, reported overdue, and July (the next review month)
        # comes while it is still open.
        await world.advance_to(beijing(2027, 7, 2, 10))
        before = sum(len(events) for events in await run_histories(life))
        await world.advance_to(beijing(2027, 7, 30, 10))
        after = sum(len(events) for events in await run_histories(life))
        assert after - before < 10  # no hourly poll: four weeks of nothing cost nothing
        # Done late, April's review lets July's open at once.
        await life.complete(TaskType.RE_REVIEW, county.investigator, "continue", re_review("2027-07-30"))
        july = await life.task(TaskType.RE_REVIEW)
        assert july.task_id != april.task_id and "2027-07" in july.note
        assert july.due_at == beijing(2027, 8, 1, 0)
        assert (await life.view()).next_review_month == "2027-10"
