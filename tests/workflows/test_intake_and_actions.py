"""Intake rules (一次性告知, 告知承诺, 备案), withdrawal, deadline extension bounds, and refused
updates that must leave the case exactly as it was."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.application import ExtendDeadlineInput, WithdrawInput
from domain.enums import AssistanceType, Stage
from domain.staff import Actor, Role
from domain.tasks import ClaimTaskInput, CompleteTaskInput, TaskType
from tests.workflows.harness import (
    APPROVER,
    CLERK,
    COUNTY_INVESTIGATOR,
    INVESTIGATOR,
    OTHER_APPROVER,
    REVIEWER,
    Case,
    Sessions,
    beijing,
    case_at,
    home_visit,
    limit,
    steps,
)
from workflows.application import ApplicationWorkflow


async def refused(case: Case, update: object, arg: object, kind: str) -> str:
    """Run an update that must be refused; assert the case did not change at all."""
    await case.idle()
    before = await case.status()
    events_before = len(await case.events())
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await case.handle.execute_update(update, arg)  # type: ignore[call-overload]
    cause = caught.value.cause
    assert getattr(cause, "type", None) == kind, cause
    assert await case.status() == before
    assert len(await case.events()) == events_before
    return str(cause)


async def test_missing_materials_are_notified_once_and_the_clock_starts_when_complete(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number, materials=["身份证明"]
    ) as case:
        task = await case.task(TaskType.SUPPLEMENT_MATERIALS)
        status = await case.status()
        assert status.missing_materials == ["户口簿", "家庭收入情况说明", "家庭财产情况说明"]
        notices = await case.events("materials_notice")
        assert len(notices) == 1 and "户口簿、家庭收入情况说明、家庭财产情况说明" in notices[0].summary
        assert status.limits == []  # not accepted yet: no time limit runs
        await case.advance_to(beijing(2026, 10, 9, 10))
        await case.handle.execute_update(
            ApplicationWorkflow.complete_task,
            CompleteTaskInput(
                task.task_id,
                CLERK,
                "supplied",
                {"materials": ["户口簿", "家庭收入情况说明", "家庭财产情况说明"]},
            ),
        )
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        # Accepted 10/9: 3 working days = make-up Sat 10/10, 10/12, 10/13.
        assert limit(await case.status(), "verification_start").due_date == "2026-10-13"


async def test_commitment_waives_what_departments_can_supply(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(
        beijing(2026, 9, 28, 10), sessions, application_number,
        materials=["身份证明", "家庭收入情况说明"], commitment_signed=True,
    ) as case:  # fmt: skip
        await case.task(TaskType.HOME_VISIT)
        assert (await case.status()).missing_materials == []
        assert len(await case.events("commitment")) == 1


async def test_abandoned_supplement_closes_the_case(sessions: Sessions, application_number: str) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number, materials=[]) as case:
        await case.complete(
            TaskType.SUPPLEMENT_MATERIALS, CLERK, "abandoned", {"reasons": "申请人表示不再申请"}
        )
        assert (await case.handle.result()).final_stage is Stage.CLOSED


async def test_relative_of_staff_needs_a_county_level_home_visit(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number, staff_relative=True) as case:
        visit = await case.task(TaskType.HOME_VISIT)
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        assert visit.region_code == "440105"
        assert len(await case.events("filed_for_record")) == 1
        message = await refused(
            case, ApplicationWorkflow.claim_task, ClaimTaskInput(visit.task_id, INVESTIGATOR), "Forbidden"
        )
        assert "管辖" in message
        await case.handle.execute_update(
            ApplicationWorkflow.claim_task, ClaimTaskInput(visit.task_id, COUNTY_INVESTIGATOR)
        )


async def test_refused_updates_leave_the_case_unchanged(sessions: Sessions, application_number: str) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        visit = await case.task(TaskType.HOME_VISIT)
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        # wrong role
        await refused(
            case, ApplicationWorkflow.claim_task, ClaimTaskInput(visit.task_id, REVIEWER), "Forbidden"
        )
        # wrong jurisdiction: an investigator of another county
        stranger = Actor("inv_wushan", "外区调查员", Role.INVESTIGATOR, "440106001")
        await refused(
            case, ApplicationWorkflow.claim_task, ClaimTaskInput(visit.task_id, stranger), "Forbidden"
        )
        # malformed form: one investigator only, negative income
        bad = home_visit(-5)
        bad["investigators"] = ["inv_chigang_1"]
        message = await refused(
            case, ApplicationWorkflow.complete_task, CompleteTaskInput(visit.task_id, INVESTIGATOR, "completed", bad),
            "InvalidForm",
        )  # fmt: skip
        assert "表单" in message
        # wrong outcome for the task
        await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(visit.task_id, INVESTIGATOR, "approve", home_visit(1)), "InvalidForm",
        )  # fmt: skip
        # unknown task
        await refused(
            case, ApplicationWorkflow.claim_task, ClaimTaskInput("nope", INVESTIGATOR), "TaskNotFound"
        )
        # claimed by one investigator: another cannot complete it
        await case.handle.execute_update(
            ApplicationWorkflow.claim_task, ClaimTaskInput(visit.task_id, INVESTIGATOR)
        )
        colleague = Actor("inv_chigang_2", "调查员钱多", Role.INVESTIGATOR, "440105001")
        await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(visit.task_id, colleague, "completed", home_visit(1)), "TaskNotOpen",
        )  # fmt: skip
        # completed: a second completion is refused
        await case.handle.execute_update(
            ApplicationWorkflow.complete_task,
            CompleteTaskInput(visit.task_id, INVESTIGATOR, "completed", home_visit(1)),
        )
        await refused(
            case, ApplicationWorkflow.complete_task,
            CompleteTaskInput(visit.task_id, INVESTIGATOR, "completed", home_visit(1)), "TaskNotOpen",
        )  # fmt: skip
        # objections only during publicity; extensions only by the county, with a reason
        from domain.application import ObjectionInput

        await refused(
            case,
            ApplicationWorkflow.file_objection,
            ObjectionInput("有人反映其有车辆", REVIEWER),
            "WrongStage",
        )
        await refused(
            case,
            ApplicationWorkflow.extend_deadline,
            ExtendDeadlineInput("异地协查", OTHER_APPROVER),
            "Forbidden",
        )
        await refused(
            case, ApplicationWorkflow.extend_deadline, ExtendDeadlineInput("  ", APPROVER), "InvalidForm"
        )


async def test_withdrawal_during_publicity_cancels_tasks_and_limits(
    sessions: Sessions, application_number: str
) -> None:
    from tests.workflows.harness import opinion, review, verify

    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number) as case:
        await verify(case)
        await case.complete(TaskType.DEMOCRATIC_REVIEW, REVIEWER, "completed", review())
        await case.complete(TaskType.TOWNSHIP_OPINION, REVIEWER, "recommend_approve", opinion())
        await case.stage(Stage.PUBLICITY)
        await refused(
            case, ApplicationWorkflow.withdraw, WithdrawInput("不想要了", INVESTIGATOR), "Forbidden"
        )
        await refused(case, ApplicationWorkflow.withdraw, WithdrawInput(" ", CLERK), "InvalidForm")
        status = await case.handle.execute_update(
            ApplicationWorkflow.withdraw, WithdrawInput("家庭情况好转，主动撤回", CLERK)
        )
        assert status.stage is Stage.WITHDRAWN
        result = await case.handle.result()
        assert result.final_stage is Stage.WITHDRAWN
        final = await case.status()
        assert not any(lim.active for lim in final.limits)
        attrs = await case.search_attributes()
        assert attrs["Stage"] == "withdrawn" and not attrs.get("Deadline")
        withdrawn = await case.events("withdrawn")
        assert withdrawn[0].actor_username == "clerk_chigang" and "主动撤回" in withdrawn[0].summary


async def test_deadline_in_an_unannounced_year_is_provisional_not_a_crash(
    sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 12, 21, 9), sessions, application_number) as case:
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        whole = limit(await case.status(), "whole_process")
        assert whole.provisional and whole.due_date.startswith("2027-")
        assert any("暂按周末推算" in e.summary for e in await case.events("limit_started"))
        verification = limit(await case.status(), "verification_start")
        assert verification.due_date == "2026-12-24" and not verification.provisional


async def test_extension_needs_a_live_unextended_limit(sessions: Sessions, application_number: str) -> None:
    async with case_at(beijing(2026, 9, 28, 10), sessions, application_number, AssistanceType.DIBAO) as case:
        await case.task(TaskType.HOME_VISIT)
        await case.idle()
        await case.handle.execute_update(
            ApplicationWorkflow.extend_deadline, ExtendDeadlineInput("异地协查", APPROVER)
        )
        await refused(
            case,
            ApplicationWorkflow.extend_deadline,
            ExtendDeadlineInput("再延一次", APPROVER),
            "AlreadyExtended",
        )


async def test_a_staff_action_is_one_activity_that_writes_the_row_and_the_timeline(
    sessions: Sessions, application_number: str
) -> None:
    """A claim, a release and a completion each wait for one activity (the task's row and its
    timeline entry together), not two in turn: the staff member's wait is one round trip."""
    from domain.tasks import TaskStatus
    from infra.models import Task

    async with case_at(beijing(2026, 11, 16, 9), sessions, application_number) as case:
        visit = await case.task(TaskType.HOME_VISIT)
        await case.idle()
        before = len((await case.handle.fetch_history()).events)
        await case.claim(TaskType.HOME_VISIT, INVESTIGATOR)
        await case.handle.execute_update(
            ApplicationWorkflow.release_task, ClaimTaskInput(visit.task_id, INVESTIGATOR)
        )
        await case.complete(TaskType.HOME_VISIT, INVESTIGATOR, "completed", home_visit(50_000))
        await case.idle()
        events = (await case.handle.fetch_history()).events[before:]
        # The three actions, one activity each, before whatever the completion set going.
        assert steps(events)[:3] == [("activity", "save_task_with_event")] * 3, steps(events)
        assert ("activity", "record_event") not in steps(events)[:3]
        kinds = [e.kind for e in await case.events()]
        assert kinds.count("task_claimed") == 1 and kinds.count("task_released") == 1
        assert kinds.count("task_completed") == 1
        async with sessions() as session:
            row = await session.get(Task, visit.task_id)
        assert row is not None and row.status == TaskStatus.COMPLETED.value and row.outcome == "completed"
        assert row.revision >= 4  # opened, claimed, released, completed: each state numbered
