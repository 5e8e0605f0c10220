"""A 低保 household's two years after approval (动态管理), on the time-skipping server: monthly
payments through the bank simulator, re-reviews on its class's rhythm, change reports, the integrity
mark, an exit with its one-month notice, re-entry through the green channel — and a fraud stop."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError

from domain.beneficiary import (
    BeneficiaryStatus,
    ChangeKind,
    ChangeReport,
    FraudFinding,
    ReportChangeInput,
    ReportFraudInput,
    add_months,
)
from domain.calendar import CHINA_TZ
from domain.enums import Stage
from domain.tasks import CompleteTaskInput, TaskType
from infra.models import BeneficiaryEvent, CreditRecord, ExitNoticeRow, Notification, Recovery, Task
from tests.conftest import BankSimulator
from tests.workflows.harness import Sessions, beijing, limit
from tests.workflows.lifecycle_support import (
    Life,
    World,
    approve_dibao,
    closed,
    exit_notice,
    new_applicant_id,
    new_county,
    re_review,
    world_at,
)
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow

AMOUNT = 291_000  # (1170 − 600/3) × 3 元, as the application workflow computes it
ADJUSTED = 180_000


def months(first: str, last: str) -> list[str]:
    out = [first]
    while out[-1] != last:
        out.append(add_months(out[-1], 1))
    return out


async def events(world: World, number: str, kind: str | None = None) -> list[BeneficiaryEvent]:
    async with world.sessions() as session:
        query = select(BeneficiaryEvent).where(BeneficiaryEvent.application_number == number)
        if kind:
            query = query.where(BeneficiaryEvent.kind == kind)
        return list(await session.scalars(query.order_by(BeneficiaryEvent.seq)))


async def test_two_years_of_a_dibao_household(
    sessions: Sessions, application_number: str, bank_simulator: BankSimulator
) -> None:
    first = application_number
    applicant = new_applicant_id()
    seq = random.randint(1, 10**9)
    county = await new_county(sessions)
    inv = county.investigator
    async with world_at(beijing(2026, 9, 28, 10), sessions, bank_simulator, county) as world:
        # -- approval → enrolment: payable from the month after approval, class B (6 months).
        await world.register_account(first, seq)
        case = await world.file_application(first, applicant)
        assert await approve_dibao(case, county, "B") == AMOUNT
        approved_on = (await world.now()).date()
        life = Life(world, first)
        view = await life.until(lambda v: v.status is BeneficiaryStatus.ACTIVE)
        start = add_months(f"{approved_on:%Y-%m}", 1)
        assert (view.category, view.amount_fen, view.next_review_month) == ("B", AMOUNT, add_months(start, 6))
        row = await world.beneficiary(first)
        assert (row.status, row.start_month, row.monthly_amount_fen) == ("active", start, AMOUNT)
        assert row.masked_name == "张*明" and "*" in row.masked_id_number

        # -- a member dies (reported by the investigator): re-checked within 3 months.
        await world.pay(start)
        await world.pay(add_months(start, 1))
        await world.pay(add_months(start, 2))  # 2027-01
        await world.advance_to(beijing(2027, 2, 15, 10))
        reported_at = await world.now()
        death = ChangeReport(
            kind=ChangeKind.MEMBER_DEATH,
            description="户主母亲于2027年2月3日病故",
            occurred_on=date(2027, 2, 3),
        )
        await life.handle.execute_update(BeneficiaryWorkflow.report_change, ReportChangeInput(death, inv))
        recheck = await life.task(TaskType.CHANGE_RECHECK)
        # Due by the end of 15 May: three months to the day after the bureau learnt of it.
        assert recheck.due_at is not None and reported_at.date() == date(2027, 2, 15)
        assert recheck.due_at == beijing(2027, 5, 16, 0)
        await world.pay("2027-02")
        await world.advance_to(beijing(2027, 3, 20, 10))
        await life.complete(
            TaskType.CHANGE_RECHECK,
            inv,
            "continue",
            re_review("2027-03-18", "家庭人口减少，人均收入仍低于标准"),
        )
        assert not (await life.view()).integrity_mark  # staff reported it: no mark

        # -- the first half-yearly re-review appears in May: continue.
        await world.pay("2027-03")
        await world.pay("2027-04")
        await world.advance_to(beijing(2027, 5, 1, 12))
        await life.task(TaskType.RE_REVIEW)
        await world.advance_to(beijing(2027, 5, 6, 10))
        await life.complete(TaskType.RE_REVIEW, inv, "continue", re_review("2027-05-06"))
        for month in months("2027-05", "2027-08"):
            await world.pay(month)

        # -- an honest self-report (income rose a little): the re-check earns the 诚信 mark.
        await world.advance_to(beijing(2027, 8, 16, 10))
        honest = ChangeReport(
            kind=ChangeKind.INCOME_CHANGE, description="户主自7月起在社区做保洁，月收入约800元，主动申报",
            occurred_on=date(2027, 7, 1), self_reported=True,
        )  # fmt: skip
        await life.handle.execute_update(BeneficiaryWorkflow.report_change, ReportChangeInput(honest, inv))
        await life.task(TaskType.CHANGE_RECHECK)
        await world.advance_to(beijing(2027, 9, 1, 10))
        await life.complete(
            TaskType.CHANGE_RECHECK, inv, "continue", re_review("2027-08-30", "收入如实申报，仍符合条件")
        )
        assert (await life.view()).integrity_mark
        assert (await world.beneficiary(first)).integrity_mark
        async with sessions() as session:
            credit = list(
                await session.scalars(select(CreditRecord).where(CreditRecord.application_number == first))
            )
        assert [c.kind for c in credit] == ["integrity"]
        for month in months("2027-09", "2027-10"):
            await world.pay(month)

        # -- November's re-review adjusts the amount on the 3rd: November is paid as frozen for it,
        #    the new amount from December's payroll.
        await world.advance_to(beijing(2027, 11, 3, 10))
        await life.complete(
            TaskType.RE_REVIEW, inv, "adjust", re_review("2027-11-02", "收入增加", new_amount_fen=ADJUSTED)
        )
        view = await life.view()
        assert (view.amount_fen, view.pending_amount_fen, view.pending_from_month) == (
            AMOUNT,
            ADJUSTED,
            "2027-12",
        )
        assert (await world.beneficiary(first)).monthly_amount_fen == AMOUNT
        await world.pay("2027-11")
        await world.advance_to(beijing(2027, 12, 1, 12))
        view = await life.view()
        assert (view.amount_fen, view.pending_amount_fen) == (ADJUSTED, None)
        assert (await world.beneficiary(first)).monthly_amount_fen == ADJUSTED
        for month in months("2027-12", "2028-04"):
            await world.pay(month)

        # -- May 2028: exit with the one-month notice; paid through the notice period.
        await world.advance_to(beijing(2028, 5, 15, 10))
        await life.complete(
            TaskType.RE_REVIEW, inv, "exit", re_review("2028-05-12", "稳定就业", exit_notice=exit_notice())
        )
        view = await life.view()
        assert (view.status, view.exit_month) == (BeneficiaryStatus.EXITING, "2028-07")
        row = await world.beneficiary(first)
        assert (row.status, row.exit_month) == ("exiting", "2028-07")
        async with sessions() as session:
            notices = list(
                await session.scalars(select(ExitNoticeRow).where(ExitNoticeRow.application_number == first))
            )
        assert len(notices) == 1 and notices[0].effective_month == "2028-07"
        assert notices[0].issued_at.astimezone(CHINA_TZ).date() == date(2028, 5, 15)
        assert "职业技能培训" in notices[0].referral
        await world.pay("2028-05")
        await world.pay("2028-06")
        # -- July 2028: the exit takes effect (the payroll skips the household) and the
        #    lifecycle ends.
        await world.advance_past_close(life.handle, beijing(2028, 7, 3, 10))
        assert await closed(life.handle) is WorkflowExecutionStatus.COMPLETED
        assert (await world.beneficiary(first)).status == "exited"
        await world.pay("2028-07")
        assert "2028-07" not in {o.month for o in await world.orders(first)}
        assert (await events(world, first))[-1].kind == "exited"

        # -- September 2028: a sudden illness; the household re-applies through the green channel.
        #    Verification starts within 2 working days, the county decides within 5.
        await world.advance_to(beijing(2028, 9, 4, 10))  # Monday
        second = f"440105-{uuid.uuid4().hex[:12].upper()}"
        await world.register_account(second, seq)
        again = await world.file_application(second, applicant, green_channel=True)
        await again.task(TaskType.HOME_VISIT)
        await again.idle()
        assert limit(await again.status(), "verification_start").due_date == "2028-09-06"
        assert await approve_dibao(again, county, "A") == AMOUNT
        assert (await again.status()).stage is Stage.APPROVED
        approval_limit = limit(await again.status(), "approval")
        assert approval_limit.met and not approval_limit.breached
        assert not await again.breaches()
        reentered = Life(world, second)
        view = await reentered.until(lambda v: v.status is BeneficiaryStatus.ACTIVE)
        restart = add_months(f"{(await world.now()):%Y-%m}", 1)
        assert (view.category, view.amount_fen, view.next_review_month) == (
            "A",
            AMOUNT,
            add_months(restart, 3),
        )
        (enrolled,) = await events(world, second, "enrolled")
        assert enrolled.data["previous_application"] == first and "绿色通道重新纳入" in enrolled.summary
        await world.pay(restart)
        assert await world.paid(second) == {restart: [(second, AMOUNT)]}
        view = await life.until(lambda v: v.status is BeneficiaryStatus.EXITED)
        assert (await world.beneficiary(first)).status == "exited"

        # -- what the bank paid: exactly one credit a month while payable.
        paid = await world.paid(first)
        expected: dict[str, list[tuple[str, int]]] = {}
        for month in months(start, "2027-11"):
            expected[month] = [(first, AMOUNT)]
        for month in months("2027-12", "2028-06"):
            expected[month] = [(first, ADJUSTED)]
        assert paid == expected
        for month in expected:
            assert len(bank_simulator.state.credits_of(f"{first}:{month}")) == 1, month

        # -- re-reviews came on class B's rhythm: May and November, then May again.
        async with sessions() as session:
            reviews = list(
                await session.scalars(
                    select(Task).where(
                        Task.application_number == first, Task.task_type == TaskType.RE_REVIEW.value
                    )
                )
            )
        assert sorted(f"{t.created_at.astimezone(CHINA_TZ):%Y-%m}" for t in reviews) == [
            "2027-05",
            "2027-11",
            "2028-05",
        ]
        kinds = [e.kind for e in await events(world, first)]
        for kind in (
            "enrolled",
            "change_reported",
            "review_continued",
            "integrity_mark",
            "adjusted",
            "exit_notice",
        ):
            assert kind in kinds, kind
        seqs = [e.seq for e in await events(world, first)]
        assert seqs == list(range(1, len(seqs) + 1))


async def test_fraud_stops_payment_recovers_and_survives_continue_as_new(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    code = county.code
    investigator, approver = county.investigator, county.approver
    number = f"{code}-F{random.randint(0, 10**6):06d}"
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        await world.register_account(number, random.randint(1, 10**9))
        # Started directly with a small history budget, so the lifecycle continues as new.
        life = await world.enrol_directly(number, "A", 100_000, "2027-01", history_limit=60)
        handle = life.handle
        for month in months("2027-01", "2027-03"):
            await world.pay(month)
        await world.advance_to(beijing(2027, 4, 12, 10))  # class A: re-review in April
        await life.complete(
            TaskType.RE_REVIEW, investigator, "adjust", re_review("2027-04-10", new_amount_fen=120_000)
        )
        await world.pay("2027-04")
        await world.advance_to(beijing(2027, 7, 2, 10))  # July's re-review opens …
        await life.task(TaskType.RE_REVIEW)
        await world.pay("2027-05")

        # The lifecycle has continued as new, carrying its state.
        current = await life.handle.describe()
        assert current.run_id != handle.first_execution_run_id
        view = await life.view()
        assert (view.amount_fen, view.category, view.reviews_done) == (120_000, "A", 1)
        assert view.next_review_month == "2027-10"
        assert [t.task_type for t in view.open_tasks] == [TaskType.RE_REVIEW]

        await world.pay("2027-06")
        # July's line is refused by the bank: an unpaid order waiting in the finance queue.
        bank_simulator.state.mark_invalid([f"{number}:2027-07"])
        await world.pay("2027-07")
        await world.advance_to(beijing(2027, 7, 20, 10))
        finding = FraudFinding(
            findings="隐瞒经营性收入：自2027年5月起经营网店，月收入约6000元",
            since_month="2027-05",
            policy_basis="《社会救助暂行办法》第六十八条",
        )
        stopped = await life.handle.execute_update(
            BeneficiaryWorkflow.report_fraud, ReportFraudInput(finding, approver)
        )
        assert stopped.status is BeneficiaryStatus.STOPPED and stopped.open_tasks == []
        assert await closed(life.handle) is WorkflowExecutionStatus.COMPLETED
        assert (await life.view()).status is BeneficiaryStatus.STOPPED
        await world.pay("2027-08")

        orders = {o.month: (o.status, o.amount_fen) for o in await world.orders(number)}
        assert orders == {
            "2027-01": ("paid", 100_000), "2027-02": ("paid", 100_000), "2027-03": ("paid", 100_000),
            "2027-04": ("paid", 100_000), "2027-05": ("paid", 120_000), "2027-06": ("paid", 120_000),
            "2027-07": ("cancelled", 120_000),
        }  # fmt: skip
        async with sessions() as session:
            recovery = await session.scalar(select(Recovery).where(Recovery.application_number == number))
            credit = list(
                await session.scalars(select(CreditRecord).where(CreditRecord.application_number == number))
            )
            tasks = list(await session.scalars(select(Task).where(Task.application_number == number)))
        assert (
            recovery is not None and recovery.amount_due_fen == 240_000 and recovery.since_month == "2027-05"
        )
        assert [c.kind for c in credit] == ["fraud"]
        assert (await world.beneficiary(number)).status == "stopped"
        assert {t.status for t in tasks} == {"completed", "cancelled"}
        seqs = [e.seq for e in await events(world, number)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert "stopped_for_fraud" in [e.kind for e in await events(world, number)]


async def test_an_unattended_re_review_reminds_the_investigators_then_reports_it_overdue(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    number = f"{county.code}-E{random.randint(0, 10**6):06d}"

    async def notifications() -> list[tuple[str, str, str]]:
        async with sessions() as session:
            rows = await session.scalars(
                select(Notification)
                .where(Notification.application_number == number)
                .order_by(Notification.id)
            )
            return [(n.kind, n.recipient_role, n.region_code) for n in rows]

    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        life = await world.enrol_directly(number, "A", 100_000, "2027-01")
        # Class A: the first re-review is April's, due by the end of April.
        await world.advance_to(beijing(2027, 4, 1, 12))
        task = await life.task(TaskType.RE_REVIEW)
        assert task.due_at == beijing(2027, 5, 1, 0)
        await world.advance_to(beijing(2027, 4, 23, 23))
        assert await notifications() == []
        # A week before the due date the township's investigators are reminded …
        await world.advance_to(beijing(2027, 4, 24, 10))
        assert await notifications() == [("reminder", "investigator", county.township)]
        # … and once it has passed, the county's supervisors are told.
        await world.advance_to(beijing(2027, 5, 1, 10))
        assert await notifications() == [
            ("reminder", "investigator", county.township),
            ("breach", "supervisor", county.code),
        ]
        (overdue,) = await events(world, number, "task_overdue")
        assert "2027-04-30" in overdue.summary and overdue.data["task_id"] == task.task_id
        # Late work is still accepted, and nothing is sent twice.
        await life.complete(TaskType.RE_REVIEW, county.investigator, "continue", re_review("2027-05-06"))
        await world.advance_to(beijing(2027, 5, 20, 10))
        assert len(await notifications()) == 2
        assert [e.kind for e in await events(world, number, "review_continued")] == ["review_continued"]
        assert (await life.view()).next_review_month == "2027-07"


async def test_phase_out_pays_its_months_then_exits_after_the_notice(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    number = f"{county.code}-P{random.randint(0, 10**6):06d}"
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        await world.register_account(number, random.randint(1, 10**9))
        life = await world.enrol_directly(number, "B", 100_000, "2027-01")
        handle = life.handle
        await world.advance_to(beijing(2027, 7, 5, 10))  # class B: July's re-review
        task = await life.task(TaskType.RE_REVIEW)
        # The county allows at most 6 months of 渐退: 7 is refused and changes nothing.
        too_long = re_review("2027-07-02", "户主已稳定就业", phase_out_months=7, exit_notice=exit_notice())
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                BeneficiaryWorkflow.complete_task,
                CompleteTaskInput(task.task_id, county.investigator, "phase_out", too_long),
            )
        assert "渐退期须为1至6个月" in str(refused.value.cause)
        assert (await life.view()).status is BeneficiaryStatus.ACTIVE
        await life.complete(
            TaskType.RE_REVIEW, county.investigator, "phase_out",
            re_review("2027-07-02", "户主已就业，收入趋稳", phase_out_months=3, exit_notice=exit_notice()),
        )  # fmt: skip
        view = await life.view()
        assert (view.status, view.phase_out_until, view.exit_month) == (
            BeneficiaryStatus.PHASE_OUT,
            "2027-10",
            None,
        )
        for month in months("2027-07", "2027-09"):
            await world.pay(month)
        # The written notice goes out one month before the phase-out ends; October is still paid.
        await world.advance_to(beijing(2027, 10, 2, 10))
        view = await life.view()
        assert (view.status, view.exit_month) == (BeneficiaryStatus.EXITING, "2027-11")
        async with sessions() as session:
            (notice,) = await session.scalars(
                select(ExitNoticeRow).where(ExitNoticeRow.application_number == number)
            )
        assert notice.effective_month == "2027-11"
        assert notice.issued_at.astimezone(CHINA_TZ).date() == date(2027, 10, 1)
        await world.pay("2027-10")
        # November: the exit has taken effect, the lifecycle has ended, nobody is paid.
        await world.advance_to(beijing(2027, 11, 2, 10))
        assert await closed(handle) is WorkflowExecutionStatus.COMPLETED
        assert (await world.beneficiary(number)).status == "exited"
        await world.pay("2027-11")
        assert await world.paid(number) == {m: [(number, 100_000)] for m in months("2027-07", "2027-10")}
        kinds = [e.kind for e in await events(world, number)]
        assert kinds.index("phase_out") < kinds.index("exit_notice") < kinds.index("exited")
