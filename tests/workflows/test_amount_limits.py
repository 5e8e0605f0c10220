"""Who may grant how much (issue 15, item 2), on the time-skipping server: the policy's ceilings
refuse an amount in the update validator (the case does not change), a one-off grant above the
township's limit goes to the county (一事一议), and a re-review's raise beyond the standard formula
waits for the county approver's confirmation."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from domain.beneficiary import BeneficiaryStatus, EnrolInput, LifecycleInput, lifecycle_workflow_id
from domain.enums import AssistanceType, Stage
from domain.staff import Role
from domain.tasks import CompleteTaskInput, TaskStatus, TaskType
from infra.models import BeneficiaryEvent, PaymentOrder, Task
from tests.conftest import BankSimulator
from tests.factories import store_application
from tests.workflows.harness import (
    APPROVER,
    HEAD,
    REVIEWER,
    Case,
    Sessions,
    approval,
    beijing,
    case_at,
    opinion,
    to_approval,
    verify,
)
from tests.workflows.lifecycle_support import Life, World, new_applicant_id, new_county, re_review, world_at
from tests.workflows.test_emergency import rescue
from tests.workflows.test_intake_and_actions import refused
from workflows.application import ApplicationWorkflow
from workflows.beneficiary_lifecycle import BeneficiaryWorkflow

TEN_MILLION_YUAN = 1_000_000_000  # in fen: the most a form field takes


async def orders(case: Case) -> list[PaymentOrder]:
    async with case.sessions() as session:
        return list(
            await session.scalars(select(PaymentOrder).where(PaymentOrder.application_number == case.number))
        )


async def test_emergency_rescue_above_the_cap_is_refused_for_the_township_head(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 10, 12, 9), sessions, application_number, AssistanceType.TEMP_EMERGENCY, materials=[]
    ) as case:
        task = await case.task(TaskType.EMERGENCY_APPROVAL)
        message = await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(task.task_id, HEAD, "approve", rescue(TEN_MILLION_YUAN)), "AmountNotAllowed",
        )  # fmt: skip
        assert "30000.00元" in message and "上限" in message
        assert await orders(case) == []
        # Within the cap, above the township's limit: to the county, as before.
        await case.complete(TaskType.EMERGENCY_APPROVAL, HEAD, "approve", rescue(2_000_000))
        county = await case.task(TaskType.COUNTY_APPROVAL)
        over = approval(opinion="一事一议", adjusted_amount_fen=3_000_001, adjustment_reason="按实际损失核定")
        await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(county.task_id, APPROVER, "approve", over), "AmountNotAllowed",
        )  # fmt: skip
        # Tiny stages beside a huge adjusted amount: the rescue pays the adjusted amount, so the
        # ceiling holds on every amount the form sets, not only on the stages' sum.
        disguised = approval(
            opinion="一事一议", adjusted_amount_fen=TEN_MILLION_YUAN, adjustment_reason="情况特殊需要",
            stages_fen=[1, 1],
        )  # fmt: skip
        await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(county.task_id, APPROVER, "approve", disguised), "AmountNotAllowed",
        )  # fmt: skip
        # The county grants less than the township proposed: that amount is paid.
        less = approval(
            opinion="一事一议，核定救助", adjusted_amount_fen=1_200_000, adjustment_reason="按实际损失核定"
        )
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", less)
        await case.task(TaskType.EMERGENCY_PAPERWORK)
        assert [o.amount_fen for o in await orders(case)] == [1_200_000]


async def test_township_grant_above_its_limit_goes_to_the_county_and_the_cap_holds(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 10, 12, 9), sessions, application_number, AssistanceType.TEMP_EXPENDITURE,
        household_size=3,
    ) as case:  # fmt: skip
        await verify(case)
        await case.complete(
            TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(severity="serious")
        )
        task = await case.task(TaskType.COUNTY_APPROVAL)
        assert task.candidate_role is Role.TOWNSHIP_HEAD
        huge = approval(adjusted_amount_fen=TEN_MILLION_YUAN, adjustment_reason="家庭困难特别严重")
        message = await refused(
            case, ApplicationWorkflow.complete_task, CompleteTaskInput(task.task_id, HEAD, "approve", huge),
            "AmountNotAllowed",
        )  # fmt: skip
        assert "单次救助总额" in message
        staged = approval(stages_fen=[2_000_000, 2_000_000])  # 40000 元 in all: past the cap too
        await refused(
            case, ApplicationWorkflow.complete_task, CompleteTaskInput(task.task_id, HEAD, "approve", staged),
            "AmountNotAllowed",
        )  # fmt: skip

        # 3 months × 1170 元 × 3 people = 10530 元: above the township's 5000 元 — the county decides.
        await case.complete(TaskType.COUNTY_APPROVAL, HEAD, "approve", approval(opinion="同意给予临时救助"))
        county = await case.task(TaskType.COUNTY_APPROVAL)
        assert (county.candidate_role, county.region_code) == (Role.COUNTY_APPROVER, "440105")
        await case.idle()
        assert await orders(case) == []  # nothing paid on the township's word
        assert (await case.status()).stage is Stage.APPROVAL
        [referred] = await case.events("county_decision")
        assert "一事一议" in referred.summary and "10530.00元" in referred.summary
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval(opinion="一事一议，同意"))
        result = await case.handle.result()
        assert (result.final_stage, result.approved_amount_fen) == (Stage.APPROVED, 1_053_000)
        assert [(o.kind, o.amount_fen) for o in await orders(case)] == [("one_off", 1_053_000)]
        [approved] = await case.events("approved")
        assert approved.actor_username == APPROVER.username


async def test_monthly_amount_above_the_types_ceiling_is_refused_even_for_the_county(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await to_approval(case)
        task = await case.task(TaskType.COUNTY_APPROVAL)
        huge = approval(adjusted_amount_fen=5_000_000, adjustment_reason="家庭困难特别严重")
        message = await refused(
            case, ApplicationWorkflow.complete_task, CompleteTaskInput(task.task_id, APPROVER, "approve", huge),
            "AmountNotAllowed",
        )  # fmt: skip
        assert "每月救助金额50000.00元" in message and "10000.00元" in message
        ok = approval(adjusted_amount_fen=300_000, adjustment_reason="按复核的刚性支出核定")
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", ok)
        result = await case.handle.result()
        assert result.approved_amount_fen == 300_000


# -- re-reviews --------------------------------------------------------------------------------
async def enrol(world: World, amount_fen: int, household_size: int) -> Life:
    """A 低保 household of `household_size` enrolled from 2027-01 (class A: re-review in April)."""
    c = world.county
    number = f"{c.code}-AM{random.randint(0, 10**6):06d}"
    await store_application(
        world.sessions, number, await world.env.get_current_time(), county_code=c.code,
        township_code=c.township, community_code=c.community, applicant_id_number=new_applicant_id(),
    )  # fmt: skip
    enrolment = EnrolInput(
        number, AssistanceType.DIBAO, c.code, c.township, c.community, "A", amount_fen, "2027-01",
        household_size=household_size,
    )  # fmt: skip
    await world.env.client.start_workflow(
        BeneficiaryWorkflow.run, LifecycleInput(enrolment), id=lifecycle_workflow_id(number),
        task_queue=world.task_queue,
    )  # fmt: skip
    life = Life(world, number)
    await life.until(lambda v: v.status is BeneficiaryStatus.ACTIVE)
    return life


async def refused_by_lifecycle(
    life: Life, task_id: str, actor: Any, outcome: str, form: dict[str, Any]
) -> str:
    before = await life.view()
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await life.handle.execute_update(
            BeneficiaryWorkflow.complete_task, CompleteTaskInput(task_id, actor, outcome, form)
        )
    assert getattr(caught.value.cause, "type", None) == "AmountNotAllowed", caught.value.cause
    assert await life.view() == before
    return str(caught.value.cause)


async def lifecycle_events(life: Life, kind: str) -> list[BeneficiaryEvent]:
    async with life.world.sessions() as session:
        rows = await session.scalars(
            select(BeneficiaryEvent).where(
                BeneficiaryEvent.application_number == life.number, BeneficiaryEvent.kind == kind
            )
        )
        return list(rows)


async def test_an_investigator_cannot_raise_a_monthly_amount_past_the_ceiling(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        number = f"{county.code}-AC{random.randint(0, 10**6):06d}"
        life = await world.enrol_directly(number, "A", 250_000, "2027-01")  # size not on record
        await world.advance_to(beijing(2027, 4, 12, 10))
        review = await life.task(TaskType.RE_REVIEW)
        message = await refused_by_lifecycle(
            life, review.task_id, county.investigator, "adjust",
            re_review("2027-04-10", new_amount_fen=TEN_MILLION_YUAN),
        )  # fmt: skip
        assert "每月救助金额10000000.00元" in message and "上限10000.00元" in message
        assert (await life.view()).pending_amount_fen is None


async def test_re_review_raise_beyond_the_formula_waits_for_the_county(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    inv, approver = county.investigator, county.approver
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        # 3 people, 600 元 of income: the formula gives (1170 − 200) × 3 = 2910 元.
        life = await enrol(world, 250_000, household_size=3)
        await world.advance_to(beijing(2027, 4, 12, 10))

        # 3500 元: a raise past the formula's 2910 元 — the investigator's word does not pay it.
        await life.complete(
            TaskType.RE_REVIEW,
            inv,
            "adjust",
            re_review("2027-04-10", "家中新增重病患者", new_amount_fen=350_000),
        )
        view = await life.view()
        assert (view.amount_fen, view.pending_amount_fen) == (250_000, None)
        confirm = await life.task(TaskType.AMOUNT_CONFIRMATION)
        assert (confirm.candidate_role, confirm.region_code) == (Role.COUNTY_APPROVER, county.code)
        assert "须县级确认" in confirm.note
        async with sessions() as session:
            row = await session.get(Task, confirm.task_id)
        assert row is not None and row.status == TaskStatus.OPEN.value  # in the county's inbox
        assert [e.kind for e in await lifecycle_events(life, "adjustment_referred")] == [
            "adjustment_referred"
        ]
        assert await lifecycle_events(life, "adjusted") == []
        # An investigator cannot confirm it; the county cannot confirm past the ceiling either.
        with pytest.raises(WorkflowUpdateFailedError):
            await life.handle.execute_update(
                BeneficiaryWorkflow.complete_task,
                CompleteTaskInput(confirm.task_id, inv, "approve", {"opinion": "同意上调"}),
            )
        await refused_by_lifecycle(
            life, confirm.task_id, approver, "approve", {"opinion": "同意上调", "amount_fen": 2_000_000}
        )
        # The county confirms 3200 元: paid from the next month.
        await life.complete(
            TaskType.AMOUNT_CONFIRMATION,
            approver,
            "approve",
            {"opinion": "经县级审核，同意上调", "amount_fen": 320_000},
        )
        view = await life.view()
        assert (view.amount_fen, view.pending_amount_fen, view.pending_from_month) == (
            250_000,
            320_000,
            "2027-05",
        )
        [adjusted] = await lifecycle_events(life, "adjusted")
        assert adjusted.actor_username == approver.username


async def test_re_review_within_the_formula_is_the_investigators_to_decide(
    sessions: Sessions, bank_simulator: BankSimulator
) -> None:
    county = await new_county(sessions)
    async with world_at(beijing(2026, 12, 20, 10), sessions, bank_simulator, county) as world:
        life = await enrol(world, 250_000, household_size=3)
        await world.advance_to(beijing(2027, 4, 12, 10))
        await life.complete(
            TaskType.RE_REVIEW, county.investigator, "adjust", re_review("2027-04-10", new_amount_fen=291_000)
        )
        view = await life.view()
        assert (view.pending_amount_fen, view.pending_from_month) == (291_000, "2027-05")
        assert all(t.task_type is not TaskType.AMOUNT_CONFIRMATION for t in view.open_tasks)
