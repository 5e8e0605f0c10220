"""Every time limit, met and breached: reminder before the deadline, then on breach the overdue
flag (status and search attribute), a supervisor notice and a breach record for statistics."""

from __future__ import annotations

from datetime import date

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
    end_of,
    limit,
    notice,
    reasons,
    review,
    to_approval,
    verify,
)


async def test_verification_start_breached_after_national_day(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await case.task(TaskType.HOME_VISIT)
        # Reminder on the morning of the last day (10/8, after the holiday), not before.
        await case.advance_to(beijing(2026, 10, 7, 23))
        assert await case.notifications("reminder") == []
        await case.advance_to(beijing(2026, 10, 8, 9, 30))
        reminders = await case.notifications("reminder")
        assert {(n.recipient_role, n.region_code) for n in reminders} >= {
            ("investigator", "440105001"),
            ("supervisor", "440105"),
        }
        assert not (await case.status()).overdue

        await case.advance_to(beijing(2026, 10, 9, 0, 30))
        status = await case.status()
        assert status.overdue
        assert limit(status, "verification_start").breached and limit(status, "data_check_start").met
        assert await case.overdue_attribute() is True
        breaches = {b.limit_name: b for b in await case.breaches()}
        assert set(breaches) == {"verification_start"}
        assert breaches["verification_start"].deadline == end_of(date(2026, 10, 8))
        notices = await case.notifications("breach")
        assert {n.recipient_role for n in notices} == {"supervisor"}
        assert "入户调查启动时限" in " ".join(n.message for n in notices)

        # Late work is still accepted; the breach stays on record.
        await case.claim(TaskType.HOME_VISIT, INVESTIGATOR)
        assert limit(await case.status(), "verification_start").breached


async def test_green_channel_verification_within_2_and_approval_within_5_working_days_met(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number, green_channel=True) as case:
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        status = await case.status()
        assert limit(status, "verification_start").due_date == "2026-09-30"  # 9/29, 9/30
        await case.advance_to(beijing(2026, 9, 30, 16))
        await case.claim(TaskType.HOME_VISIT, INVESTIGATOR)
        await to_approval(case)
        approval_limit = limit(await case.status(), "approval")
        received = (await case.now()).date()
        # Publicity from Wed 9/30: 10/8, 10/9, make-up Sat 10/10, 10/12 … 10/15; the file reaches the county 10/16.
        assert received == date(2026, 10, 16)
        assert approval_limit.due_date == "2026-10-23"  # 5 working days: 10/19 … 10/23
        await case.advance_to(beijing(2026, 10, 23, 17))
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", approval())
        await case.handle.result()
        assert await case.breaches() == []


async def test_green_channel_breaches_are_recorded_as_green_channel(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number, green_channel=True) as case:
        await case.task(TaskType.HOME_VISIT)
        await case.advance_to(beijing(2026, 10, 1, 0, 30))  # 2 working days ran out at 9/30's end
        breaches = await case.breaches()
        assert {b.limit_name for b in breaches} == {"verification_start"}
        assert all(b.green_channel for b in breaches)


async def test_county_approval_breached_after_10_working_days(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await to_approval(case)
        # Publicity from 9/28 ended with 10/13; received 10/14, 10 working days: 10/15 … 10/28.
        assert limit(await case.status(), "approval").due_date == "2026-10-28"
        await case.advance_to(beijing(2026, 10, 28, 9, 30))
        assert any("县级审批时限" in n.message for n in await case.notifications("reminder"))
        assert [
            n.recipient_role for n in await case.notifications("reminder") if "县级审批" in n.message
        ] == [
            "county_approver",
            "supervisor",
        ]
        await case.advance_to(beijing(2026, 10, 29, 1))
        assert [b.limit_name for b in await case.breaches()] == ["approval"]
        assert (await case.status()).stage is Stage.APPROVAL
        assert await case.overdue_attribute() is True


async def test_refusal_notice_within_3_working_days_met_and_breached(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await to_approval(case)
        await case.advance_to(beijing(2026, 10, 20, 10))
        await case.complete(
            TaskType.COUNTY_APPROVAL, APPROVER, "reject", reasons("核实后家庭人均收入超过标准")
        )
        await case.stage(Stage.REJECTED)
        await case.idle()
        notice_limit = limit(await case.status(), "refusal_notice")
        assert notice_limit.due_date == "2026-10-23"
        # Not sent in time: breach on 10/24.
        await case.advance_to(beijing(2026, 10, 24, 0, 30))
        assert [b.limit_name for b in await case.breaches()] == ["refusal_notice"]
        await case.complete(TaskType.REFUSAL_NOTICE, REVIEWER, "sent", notice())
        result = await case.handle.result()
        assert result.final_stage is Stage.REJECTED
        assert [e.kind for e in await case.events()][-2:] == ["task_completed", "notice_sent"]


async def test_refusal_notice_sent_in_time_is_not_a_breach(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await verify(case)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", _review_failed())
        await case.complete(
            TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_reject", reasons("民主评议未通过")
        )
        # No publicity for a recommended rejection: the file goes straight to the county.
        await case.stage(Stage.APPROVAL)
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "reject", reasons("民主评议未通过，不予批准"))
        await case.advance_to(beijing(2026, 10, 8, 11))
        await case.complete(TaskType.REFUSAL_NOTICE, REVIEWER, "sent", notice())
        await case.handle.result()
        assert await case.breaches() == []
        assert (await case.status()).publicity_rounds == 0


async def test_whole_process_breached_at_30_working_days(sessions: Sessions, application_number: str) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await verify(case)
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        await case.advance_to(beijing(2026, 11, 14, 0, 30))  # due 11/13
        assert [b.limit_name for b in await case.breaches()] == ["whole_process"]
        assert (await case.status()).overdue


async def test_whole_process_extended_to_45_working_days_with_reason(
    sessions: Sessions, application_number: str
) -> None:
    from domain.application import ExtendDeadlineInput
    from workflows.application import ApplicationWorkflow

    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await verify(case)
        await case.stage(Stage.DEMOCRATIC_REVIEW)
        await case.advance_to(beijing(2026, 11, 10, 10))
        await case.handle.execute_update(
            ApplicationWorkflow.extend_deadline, ExtendDeadlineInput("家庭成员在外地，需异地协查", APPROVER)
        )
        whole = limit(await case.status(), "whole_process")
        assert whole.due_date == "2026-12-04"  # 45 working days from 9/28
        await case.advance_to(beijing(2026, 11, 16, 10))
        assert await case.breaches() == []
        await case.advance_to(beijing(2026, 12, 5, 0, 30))
        assert [b.limit_name for b in await case.breaches()] == ["whole_process"]
        assert any(
            "办理时限延长" in e.summary and "异地协查" in e.summary for e in await case.events("extended")
        )


def _review_failed() -> dict[str, object]:
    return review(passed=False)
