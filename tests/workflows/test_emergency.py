"""临时救助（急难型）: rescue first within 24 hours, paperwork within 5 working days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.application import WithdrawInput
from domain.enums import AssistanceType, Stage
from domain.tasks import TaskType
from infra.models import PaymentOrder
from tests.workflows.harness import (
    APPROVER,
    CLERK,
    HEAD,
    Case,
    Sessions,
    beijing,
    case_at,
    limit,
)
from tests.workflows.test_intake_and_actions import refused
from workflows.application import ApplicationWorkflow


def rescue(amount_fen: int, form_of_aid: str = "cash") -> dict[str, object]:
    return {
        "amount_fen": amount_fen,
        "form_of_aid": form_of_aid,
        "severity": "critical",
        "opinion": "突发火灾，先行救助",
    }


def paperwork() -> dict[str, object]:
    return {"materials": ["身份证明", "火灾证明", "救助审批表"], "notes": "补办齐全"}


async def orders(case: Case) -> list[PaymentOrder]:
    async with case.sessions() as session:
        return list(
            await session.scalars(select(PaymentOrder).where(PaymentOrder.application_number == case.number))
        )


async def test_rescue_on_a_holiday_pays_within_24_hours_and_opens_the_paperwork(
    sessions: Sessions, application_number: str
) -> None:
    # Reported on the eve of National Day, 20:00; the township head acts on the holiday morning.
    accepted = beijing(2026, 9, 30, 20)
    async with case_at(
        accepted, sessions, application_number, AssistanceType.TEMP_EMERGENCY, materials=[]
    ) as case:
        task = await case.task(TaskType.EMERGENCY_APPROVAL)
        assert task.candidate_role.value == "township_head"
        assert task.due_at is not None and task.due_at - accepted < timedelta(hours=24, seconds=30)
        kinds = [e.kind for e in await case.events()]
        assert "materials_notice" not in kinds  # rescue first: no paperwork up front
        await case.advance_to(beijing(2026, 10, 1, 8))
        await case.complete(TaskType.EMERGENCY_APPROVAL, HEAD, "approve", rescue(200_000))
        await case.task(TaskType.EMERGENCY_PAPERWORK)
        [order] = await orders(case)
        assert (order.amount_fen, order.form_of_aid, order.kind) == (200_000, "cash", "rescue")
        assert order.ordered_at - accepted < timedelta(hours=24)
        await case.idle()
        status = await case.status()
        assert status.stage is Stage.PAPERWORK
        assert limit(status, "emergency_approval").met
        # 5 working days from the holiday: 10/8, 10/9, make-up Sat 10/10, 10/12, 10/13.
        assert limit(status, "emergency_paperwork").due_date == "2026-10-13"
        # Money is out: the applicant can no longer withdraw.
        await refused(case, ApplicationWorkflow.withdraw, WithdrawInput("不需要了", CLERK), "CaseClosed")
        await case.advance_to(beijing(2026, 10, 12, 10))
        await case.complete(TaskType.EMERGENCY_PAPERWORK, CLERK, "completed", paperwork())
        result = await case.handle.result()
        assert (result.final_stage, result.approved_amount_fen) == (Stage.APPROVED, 200_000)
        assert await case.breaches() == []
        assert len(await orders(case)) == 1
        # No data check, democratic review or publicity on this path.
        kinds = [e.kind for e in await case.events()]
        assert not {"review", "publicity", "verified"} & set(kinds)


async def test_24_hour_window_missed_then_paperwork_missed(
    sessions: Sessions, application_number: str
) -> None:
    accepted = beijing(2026, 10, 12, 9)
    async with case_at(
        accepted, sessions, application_number, AssistanceType.TEMP_EMERGENCY, materials=[]
    ) as case:
        await case.task(TaskType.EMERGENCY_APPROVAL)
        await case.advance_to(accepted + timedelta(hours=17))
        assert await case.notifications("reminder") == []
        await case.advance_to(accepted + timedelta(hours=18, minutes=5))  # a quarter of the window left
        assert {n.recipient_role for n in await case.notifications("reminder")} == {
            "township_head",
            "supervisor",
        }
        await case.advance_to(accepted + timedelta(hours=24, minutes=5))
        assert [b.limit_name for b in await case.breaches()] == ["emergency_approval"]
        assert await case.overdue_attribute() is True
        # Late, but still paid — and only once.
        await case.complete(TaskType.EMERGENCY_APPROVAL, HEAD, "approve", rescue(150_000, "in_kind"))
        await case.task(TaskType.EMERGENCY_PAPERWORK)
        # Paperwork due 5 working days after 10/13: 10/14 … 10/20.
        await case.idle()
        assert limit(await case.status(), "emergency_paperwork").due_date == "2026-10-20"
        await case.advance_to(beijing(2026, 10, 21, 0, 30))
        assert sorted(b.limit_name for b in await case.breaches()) == [
            "emergency_approval",
            "emergency_paperwork",
        ]
        assert [o.form_of_aid for o in await orders(case)] == ["in_kind"]


async def test_amount_above_the_township_limit_goes_to_the_county(
    sessions: Sessions, application_number: str
) -> None:
    accepted = beijing(2026, 10, 12, 9)
    async with case_at(
        accepted, sessions, application_number, AssistanceType.TEMP_EMERGENCY, materials=[]
    ) as case:
        await case.complete(TaskType.EMERGENCY_APPROVAL, HEAD, "approve", rescue(800_000))
        county = await case.task(TaskType.COUNTY_APPROVAL)
        assert (county.candidate_role.value, county.region_code) == ("county_approver", "440105")
        assert await orders(case) == []  # nothing paid before the county agrees (一事一议)
        await case.complete(TaskType.COUNTY_APPROVAL, APPROVER, "approve", {"opinion": "一事一议，同意救助"})
        await case.task(TaskType.EMERGENCY_PAPERWORK)
        assert [o.amount_fen for o in await orders(case)] == [800_000]
        assert any("一事一议" in e.summary for e in await case.events("county_decision"))
