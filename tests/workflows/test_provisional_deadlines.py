"""A deadline counted through a year whose holiday calendar is not loaded yet is provisional
(weekends only). Once an operator loads that year, a running case counts it again from its start:
the deadline moves, the timeline says why, and neither the reminder nor the breach of the old date
fires."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest_asyncio

from api.schemas.admin import CalendarDayIn, CalendarYearIn
from domain.enums import Stage
from domain.staff import Actor, Role
from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade_async
from infra.seed import seed_demo
from services.calendar import CalendarService
from services.workflow_gateway import WorkflowGateway
from tests.workflows.harness import Case, Sessions, beijing, case_at, end_of, limit, verify

OPERATOR = Actor("operator_haizhu", "运维刘洋", Role.OPERATOR, "440105")
# The 2027 announcement as an operator would load it: the Spring Festival week off (Sat 2/6 to
# Fri 2/12, five weekdays) and a make-up working Saturday after it.
SPRING_FESTIVAL_2027 = CalendarYearIn(
    days=[CalendarDayIn(day=date(2027, 2, d), is_working_day=False, name="春节") for d in range(6, 13)]
    + [CalendarDayIn(day=date(2027, 2, 20), is_working_day=True, name="春节调休上班")],
    complete=True,
)


@pytest_asyncio.fixture
async def own_sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    """A database of its own: loading 2027 into the shared one would change other tests' deadlines."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'calendar.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    await seed_demo(factory)
    yield factory
    await engine.dispose()


async def _filed_on_28_december(case: Case) -> None:
    """Verified, waiting in democratic review: only the whole-process limit is still running."""
    await verify(case)
    await case.stage(Stage.DEMOCRATIC_REVIEW)
    await case.idle()
    whole = limit(await case.status(), "whole_process")
    # 12/29–12/31, then weekdays only: 1/1 counts, the Spring Festival does not exist yet.
    assert (whole.due_date, whole.provisional) == ("2027-02-08", True)


async def _no_breach_on_the_old_date_and_one_on_the_new(case: Case) -> None:
    await case.advance_to(beijing(2027, 2, 9, 0, 30))  # the old deadline has passed
    assert await case.breaches() == []
    assert not (await case.status()).overdue
    assert [n.message for n in await case.notifications("reminder") if "2027-02-08" in n.message] == []
    await case.advance_to(beijing(2027, 2, 15, 9, 30))
    reminders = await case.notifications("reminder")
    assert reminders and all("2027-02-15" in n.message for n in reminders)
    await case.advance_to(beijing(2027, 2, 16, 0, 30))
    breaches = await case.breaches()
    assert [(b.limit_name, b.deadline) for b in breaches] == [("whole_process", end_of(date(2027, 2, 15)))]


async def test_loading_the_2027_calendar_moves_a_provisional_deadline_later_by_the_spring_festival(
    own_sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 12, 28, 10), own_sessions, application_number) as case:
        await _filed_on_28_december(case)

        calendar = CalendarService(own_sessions, WorkflowGateway(case.env.client))
        loaded = await calendar.replace_year(2027, SPRING_FESTIVAL_2027, OPERATOR)
        assert loaded.cases_notified == 1
        await case.idle()

        whole = limit(await case.status(), "whole_process")
        assert (whole.due_date, whole.provisional) == ("2027-02-15", False)  # a week later
        assert [e.summary for e in await case.events("deadline_moved")] == [
            "因2027年节假日安排已载入，全流程办结时限由2027-02-08顺延至2027-02-15"
        ]
        deadline_attribute = datetime.fromisoformat((await case.search_attributes())["Deadline"])
        assert deadline_attribute == end_of(date(2027, 2, 15))  # what operators filter on
        await _no_breach_on_the_old_date_and_one_on_the_new(case)


async def test_a_case_that_missed_the_calendar_signal_recounts_before_its_reminder_fires(
    own_sessions: Sessions, application_number: str
) -> None:
    async with case_at(beijing(2026, 12, 28, 10), own_sessions, application_number) as case:
        await _filed_on_28_december(case)
        # Loaded without telling the cases (as if the API had stopped right after its commit).
        await CalendarService(own_sessions).replace_year(2027, SPRING_FESTIVAL_2027, OPERATOR)
        await case.idle()
        assert limit(await case.status(), "whole_process").provisional  # nobody told it yet

        await case.advance_to(beijing(2027, 2, 8, 9, 30))  # the old reminder time
        whole = limit(await case.status(), "whole_process")
        assert (whole.due_date, whole.provisional) == ("2027-02-15", False)
        assert [e.summary for e in await case.events("deadline_moved")] == [
            "因节假日安排已载入，全流程办结时限由2027-02-08顺延至2027-02-15"
        ]
        await _no_breach_on_the_old_date_and_one_on_the_new(case)


async def test_a_recount_never_moves_a_deadline_earlier_than_staff_were_told(
    own_sessions: Sessions, application_number: str
) -> None:
    # A table with a make-up working Saturday in January and no holiday before the deadline: the
    # count from the start ends a working day earlier, but the case keeps the date it was given.
    makeup_only = CalendarYearIn(
        days=[CalendarDayIn(day=date(2027, 1, 9), is_working_day=True, name="调休上班")], complete=True
    )
    async with case_at(beijing(2026, 12, 28, 10), own_sessions, application_number) as case:
        await _filed_on_28_december(case)
        calendar = CalendarService(own_sessions, WorkflowGateway(case.env.client))
        assert (await calendar.replace_year(2027, makeup_only, OPERATOR)).cases_notified == 1
        await case.idle()
        whole = limit(await case.status(), "whole_process")
        assert (whole.due_date, whole.provisional) == ("2027-02-08", False)
        assert [e.summary for e in await case.events("deadline_moved")] == [
            "因2027年节假日安排已载入，全流程办结时限核定为2027-02-08"
        ]
        await case.advance_to(beijing(2027, 2, 8, 23, 30))  # the earlier count's date has passed
        assert await case.breaches() == []
