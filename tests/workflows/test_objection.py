"""An objection during publicity stops the clock; after re-investigation, a new democratic review
and a new opinion, the case gets a new, full publicity period."""

from __future__ import annotations

from datetime import timedelta

from domain.application import ObjectionInput
from domain.enums import Stage
from domain.tasks import TaskType
from tests.workflows.harness import (
    APPROVER,
    INVESTIGATOR,
    REVIEWER,
    Sessions,
    approval,
    beijing,
    case_at,
    opinion,
    publicity_end,
    review,
    verify,
)
from workflows.application import ApplicationWorkflow


async def test_objection_restarts_publicity_in_full(sessions: Sessions, application_number: str) -> None:
    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number) as case:
        await verify(case)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(category="B"))
        await case.stage(Stage.PUBLICITY)
        first_end = await publicity_end(case, 1)
        assert first_end == beijing(2026, 10, 22, 0, 0)  # 10/13 … 10/21

        # Day 3 of publicity: a neighbour reports a car; the reviewer registers the objection.
        await case.advance_to(beijing(2026, 10, 15, 10))
        status = await case.handle.execute_update(
            ApplicationWorkflow.file_objection, ObjectionInput("群众反映申请人家庭有一辆小汽车", REVIEWER)
        )
        assert status.objections == 1
        await case.stage(Stage.VERIFICATION)
        # The first period's end passes: nothing happens, the clock is stopped.
        await case.advance_to(first_end + timedelta(hours=2))
        assert (await case.status()).stage is Stage.VERIFICATION
        await case.complete(
            TaskType.REINVESTIGATION, INVESTIGATOR, "completed",
            {"findings": "车辆为亲戚所有；另查实配偶打零工月入约300元", "objection_upheld": True,
             "found_monthly_income_fen": 90_000},
        )  # fmt: skip
        # The policy reviews every case, so the objection goes back to democratic review.
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.advance_to(beijing(2026, 10, 23, 10))
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(category="B"))
        await case.stage(Stage.PUBLICITY)
        # A new full period from Fri 10/23: 10/26 … 11/3 (7 working days), not the 4 days left over.
        second_end = await publicity_end(case, 2)
        # The re-investigation's figure counts: (1170 − 900/3) × 3, not the first round's 2910 元.
        assert (await case.status()).proposed_amount_fen == (117_000 - 30_000) * 3
        assert second_end == beijing(2026, 11, 4, 0, 0)
        await case.advance_to(second_end - timedelta(hours=1))
        assert (await case.status()).stage is Stage.PUBLICITY
        await case.advance_to(second_end + timedelta(minutes=30))
        await case.stage(Stage.APPROVAL)
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        await case.handle.result()
        kinds = [e.kind for e in await case.events()]
        assert kinds.count("publicity") == 2 and kinds.count("publicity_ended") == 1
        assert kinds.count("publicity_stopped") == 1 and kinds.count("review") == 2
        assert (await case.status()).publicity_rounds == 2


async def test_county_return_sends_the_case_back_to_a_new_verification(
    sessions: Sessions, application_number: str
) -> None:
    from tests.workflows.harness import limit, to_approval

    async with case_at(beijing(2026, 10, 12, 9), sessions, application_number) as case:
        await to_approval(case)
        await case.advance_to(beijing(2026, 10, 26, 10))
        await case.complete(
            TaskType.COUNTY_APPROVAL, APPROVER, "return", {"reasons": "未核实申请人配偶的灵活就业收入"}
        )
        await case.stage(Stage.VERIFICATION)
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        status = await case.status()
        # A new verification with new start limits from the return (10/26): 10/27, 10/28, 10/29.
        assert limit(status, "verification_start").due_date == "2026-10-29"
        assert limit(status, "approval").met  # the county answered in time; a new approval limit comes later
        assert any("灵活就业" in e.summary for e in await case.events("returned"))
        await verify(case, visit_income_fen=90_000)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(category="B"))
        await case.stage(Stage.PUBLICITY)
        await case.advance_to(await publicity_end(case) + timedelta(minutes=30))
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        result = await case.handle.result()
        # The hidden income found on the second visit lowers the amount: (1170 − 900/3) × 3.
        assert result.approved_amount_fen == (117_000 - 30_000) * 3
        assert (await case.status()).publicity_rounds == 2
