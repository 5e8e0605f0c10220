"""城乡低保 end to end on the time-skipping server, on the real 2026 calendar around National Day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from domain.enums import Stage
from domain.tasks import TaskType
from infra.models import Beneficiary, Task
from tests.workflows.harness import (
    APPROVER,
    INVESTIGATOR,
    REVIEWER,
    Sessions,
    approval,
    beijing,
    case_at,
    end_of,
    home_visit,
    opinion,
    review,
)


async def test_dibao_case_walks_every_stage_on_the_2026_calendar(
    sessions: Sessions, application_number: str
) -> None:
    # Accepted Monday 2026-09-28, 10:00 Beijing time, three people, declared 600 元/月.
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        status = await case.status()
        assert status.stage is Stage.VERIFICATION
        limits = {lim.name: lim for lim in status.limits}
        # 30 working days: 9/29, 9/30, National Day off, 10/8, 10/9, make-up Sat 10/10 … Fri 11/13.
        assert limits["whole_process"].due_date == "2026-11-13"
        # 3 working days: 9/29, 9/30, then 10/8 after the holiday.
        assert limits["verification_start"].due_date == "2026-10-08"
        # The departments are queried at once: the data cross-check started on time by itself.
        assert limits["data_check_start"].due_date == "2026-10-08" and limits["data_check_start"].met
        attrs = await case.search_attributes()
        assert attrs["Stage"] == "verification" and attrs["AssistanceType"] == "dibao"
        assert datetime.fromisoformat(attrs["Deadline"]) == end_of(date(2026, 10, 8))

        # Investigators start on 9/29 (claiming starts the work), finish after the holiday.
        await case.advance_to(beijing(2026, 9, 29, 9))
        await case.claim(TaskType.HOME_VISIT, INVESTIGATOR)
        met = {lim.name: lim for lim in (await case.status()).limits}
        assert met["verification_start"].met and met["data_check_start"].met
        await case.advance_to(beijing(2026, 10, 8, 10))
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(60_000))

        # The seed county reviews every 低保 case.
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion(category="B"))
        await case.stage(Stage.PUBLICITY)
        # (1170 − 600/3=200) × 3 = 2910 元/月: income is the highest of declared, visit and department.
        assert (await case.status()).proposed_amount_fen == 291_000

        # Publicity started Thursday 10/8: 7 working days = 10/9, make-up Sat 10/10, 10/12 … 10/16.
        await case.advance_to(beijing(2026, 10, 16, 23, 30))
        assert (await case.status()).stage is Stage.PUBLICITY
        await case.advance_to(beijing(2026, 10, 17, 0, 30))
        await case.stage(Stage.APPROVAL)
        approval_limit = {lim.name: lim for lim in (await case.status()).limits}["approval"]
        # County decides within 10 working days of receiving the file on Sat 10/17: 10/19 … 10/30.
        assert approval_limit.due_date == "2026-10-30"

        await case.advance_to(beijing(2026, 10, 20, 15))
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        result = await case.handle.result()
        assert result.final_stage is Stage.APPROVED
        assert result.approved_amount_fen == 291_000

        final = await case.status()
        assert not final.overdue and not any(lim.breached for lim in final.limits)
        assert all(lim.met for lim in final.limits)
        assert (await case.breaches()) == []

        async with sessions() as session:
            enrolled = await session.scalar(
                select(Beneficiary).where(Beneficiary.application_number == case.number)
            )
            tasks = list(await session.scalars(select(Task).where(Task.application_number == case.number)))
        assert enrolled is not None
        assert (enrolled.monthly_amount_fen, enrolled.start_month, enrolled.category) == (
            291_000,
            "2026-11",
            "B",
        )
        assert {t.status for t in tasks} == {"completed"}

        kinds = [e.kind for e in await case.events()]
        for expected in (
            "submitted",
            "accepted",
            "data_check_started",
            "assessed",
            "verified",
            "review",
            "opinion",
            "publicity",
            "publicity_ended",
            "approved",
        ):
            assert expected in kinds, expected
        seqs = [e.seq for e in await case.events()]
        assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))
