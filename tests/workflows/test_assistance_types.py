"""Each assistance type through its own policy: one workflow, different configuration."""

from __future__ import annotations

from sqlalchemy import select

from domain.enums import AssistanceType, Stage
from domain.staff import Actor, Role
from domain.tasks import CompleteTaskInput, TaskType
from infra.models import Beneficiary, PaymentOrder, SpotCheck
from tests.workflows.harness import (
    APPROVER,
    COUNTY_INVESTIGATOR,
    HEAD,
    REVIEWER,
    AlwaysDraw,
    Sessions,
    approval,
    beijing,
    case_at,
    home_visit,
    limit,
    opinion,
    publicity_end,
    review,
    verify,
)
from tests.workflows.test_intake_and_actions import refused
from workflows.application import ApplicationWorkflow


async def test_tekun_spot_check_care_level_amount_and_15_day_approval(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, AssistanceType.TEKUN,
        household_size=1, declared_income_fen=0, rng=AlwaysDraw(),
    ) as case:  # fmt: skip
        await verify(case, 0, 0)
        # 特困: democratic review only on dispute, and this case is not disputed.
        unable = ["eating", "dressing", "toileting", "bathing"]  # 4 of 6 items: 完全丧失生活自理能力
        await case.complete(
            TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(unable_items=unable)
        )
        await case.stage(Stage.PUBLICITY)
        assert (await case.status()).proposed_amount_fen == 152_100 + 150_000
        await case.advance_to(
            await publicity_end(case) + (beijing(2026, 1, 1, 0, 30) - beijing(2026, 1, 1, 0))
        )
        await case.stage(Stage.APPROVAL)
        spot = await case.task(TaskType.SPOT_CHECK)
        assert spot.region_code == "440105"  # a county-level check
        await case.idle()
        # Received 10/14: 15 working days → 11/4.
        assert limit(await case.status(), "approval").due_date == "2026-11-04"
        approve_task = await case.task(TaskType.COUNTY_APPROVAL)
        message = await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(approve_task.task_id, APPROVER, "approve", approval()), "SpotCheckPending",
        )  # fmt: skip
        assert "抽查" in message
        await case.complete(
            TaskType.SPOT_CHECK, COUNTY_INVESTIGATOR, "completed",
            {"investigators": ["inv_haizhu", "inv_haizhu_2"], "findings": "与乡镇调查一致", "consistent": True},
        )  # fmt: skip
        await case.complete(
            TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval(opinion="同意纳入特困供养")
        )
        result = await case.handle.result()
        assert (result.final_stage, result.approved_amount_fen) == (Stage.APPROVED, 302_100)
        async with sessions() as session:
            draw = await session.scalar(select(SpotCheck).where(SpotCheck.application_number == case.number))
            enrolled = await session.scalar(
                select(Beneficiary).where(Beneficiary.application_number == case.number)
            )
        assert draw is not None and draw.sampled and "30%" in draw.basis
        assert enrolled is not None and enrolled.monthly_amount_fen == 302_100


async def test_temporary_expenditure_is_approved_by_the_township_and_paid_once(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 10, 12, 9),
        sessions,
        application_number,
        AssistanceType.TEMP_EXPENDITURE,
        household_size=3,
    ) as case:
        await verify(case)
        # No democratic review and no publicity for temporary assistance.
        await case.complete(
            TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(severity="general")
        )
        task = await case.task(TaskType.COUNTY_APPROVAL)
        assert (task.candidate_role, task.region_code) == (Role.TOWNSHIP_HEAD, "440105001")
        await case.complete(TaskType.COUNTY_APPROVAL, HEAD, "approve", approval(opinion="同意给予临时救助"))
        result = await case.handle.result()
        # 1 month of the standard × 3 people: within the township's limit, paid on its word (a
        # bigger grant goes to the county, see test_amount_limits.py).
        assert result.approved_amount_fen == 117_000 * 3
        assert await case.events("county_decision") == []
        status = await case.status()
        assert status.publicity_rounds == 0
        async with sessions() as session:
            orders = list(
                await session.scalars(
                    select(PaymentOrder).where(PaymentOrder.application_number == case.number)
                )
            )
        assert [(o.order_key, o.amount_fen) for o in orders] == [(f"{case.number}:one_off", 351_000)]


async def test_disability_subsidy_has_publicity_but_no_review(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 10, 12, 9),
        sessions,
        application_number,
        AssistanceType.DISABILITY_SUBSIDY,
        household_size=2,
    ) as case:
        await verify(case)
        await case.complete(
            TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(disability_level="1")
        )
        await case.stage(Stage.PUBLICITY)
        assert (await case.status()).proposed_amount_fen == 10_000 + 20_000
        await case.advance_to(
            await publicity_end(case) + (beijing(2026, 1, 1, 0, 30) - beijing(2026, 1, 1, 0))
        )
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        assert (await case.handle.result()).approved_amount_fen == 30_000
        kinds = [e.kind for e in await case.events()]
        assert "review" not in kinds and "publicity" in kinds


async def test_dibao_opinion_cannot_recommend_a_household_above_the_standard(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number, household_size=2) as case:
        await verify(case, visit_income_fen=300_000)  # 1500 元 per person > 1170 元
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        opinion_task = await case.task(TaskType.TOWNSHIP_OPINION)
        message = await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(opinion_task.task_id, REVIEWER, "recommend_approve", opinion(category="C")), "InvalidForm",
        )  # fmt: skip
        assert "不低于低保标准" in message


async def test_tianhe_reviews_only_on_dispute_and_counts_publicity_in_calendar_days(
    sessions: Sessions, application_number: str
) -> None:
    investigator = Actor("inv_wushan", "调查员郑好", Role.INVESTIGATOR, "440106001")
    reviewer = Actor("reviewer_wushan", "审核员冯云", Role.TOWNSHIP_REVIEWER, "440106001")
    tianhe = dict(county="440106", township="440106001", community="440106001001")
    async with case_at(
        beijing(2026, 9, 29, 9), sessions, application_number, declared_income_fen=30_000, **tianhe
    ) as case:
        await case.complete(TaskType.HOME_VISIT, investigator, "completed", home_visit(30_000, disputed=True))
        # Disputed, so the on-dispute county holds a democratic review after all.
        await case.complete(TaskType.DEMOCRATIC_REVIEW, reviewer, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, reviewer, "recommend_approve", opinion(category="A"))
        await case.stage(Stage.PUBLICITY)
        # 7 calendar days from 9/29 run through the National Day holiday: due 10/6.
        assert (await publicity_end(case)) == beijing(2026, 10, 7, 0, 0)
        # 天河区's own standard: (1200 − 300/3) × 3.
        assert (await case.status()).proposed_amount_fen == (120_000 - 10_000) * 3


async def test_dibao_edge_is_recognised_without_monthly_cash(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 10, 12, 9), sessions, application_number, AssistanceType.DIBAO_EDGE
    ) as case:
        await verify(case, visit_income_fen=400_000)  # above the 低保 line: an edge household
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion())
        await case.stage(Stage.PUBLICITY)
        assert (await case.status()).proposed_amount_fen == 0
        await case.advance_to(
            await publicity_end(case) + (beijing(2026, 1, 1, 0, 30) - beijing(2026, 1, 1, 0))
        )
        await case.complete(
            TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval(opinion="认定为低保边缘家庭")
        )
        result = await case.handle.result()
        assert (result.final_stage, result.approved_amount_fen) == (Stage.APPROVED, 0)
        async with sessions() as session:
            assert (
                await session.scalar(
                    select(PaymentOrder).where(PaymentOrder.application_number == case.number)
                )
                is None
            )
            assert (
                await session.scalar(select(Beneficiary).where(Beneficiary.application_number == case.number))
                is None
            )


async def test_expenditure_type_hardship_needs_its_receipts_and_is_paid_monthly(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 10, 12, 9), sessions, application_number, AssistanceType.DIBAO_EXPENDITURE,
        materials=["身份证明", "户口簿", "家庭收入情况说明", "家庭财产情况说明"],
    ) as case:  # fmt: skip
        await case.task(TaskType.SUPPLEMENT_MATERIALS)
        assert (await case.status()).missing_materials == ["刚性支出票据"]
        from tests.workflows.harness import CLERK

        await case.complete(TaskType.SUPPLEMENT_MATERIALS, CLERK, "supplied", {"materials": ["刚性支出票据"]})
        await verify(case)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(category="A"))
        await case.stage(Stage.PUBLICITY)
        await case.advance_to(
            await publicity_end(case) + (beijing(2026, 1, 1, 0, 30) - beijing(2026, 1, 1, 0))
        )
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        result = await case.handle.result()
        assert result.approved_amount_fen == (117_000 - 20_000) * 3
        async with sessions() as session:
            enrolled = await session.scalar(
                select(Beneficiary).where(Beneficiary.application_number == case.number)
            )
        assert enrolled is not None and enrolled.category == "A"
