"""Reference data the workflow must not compute itself because it changes over time: the policy
in force and the working-day calendar (admin-loaded holidays live in the database)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from domain.calendar import CHINA_TZ, DayOverride, WorkingDayCalendar
from domain.policy import AssistancePolicy, PolicyBook
from domain.records import ComputeDeadlineInput, DeadlineInfo, DeadlineUnit, ResolvePolicyInput
from infra.models import CalendarDay, CalendarYear

# Reminders go out at the start of office hours on the last day of a limit.
_REMINDER_TIME = time(9, 0)


async def load_calendar(sessions: async_sessionmaker[AsyncSession]) -> WorkingDayCalendar:
    async with sessions() as session:
        days = await session.scalars(select(CalendarDay))
        years = await session.scalars(select(CalendarYear.year))
        return WorkingDayCalendar.from_overrides(
            [DayOverride(d.day, d.is_working_day, d.name) for d in days], complete_years=list(years)
        )


def deadline_info(calendar: WorkingDayCalendar, request: ComputeDeadlineInput) -> DeadlineInfo:
    if request.unit is DeadlineUnit.HOURS:
        at = request.start + timedelta(hours=request.amount)
        # A quarter of the window before the end, so someone can still act.
        reminder = at - timedelta(hours=request.amount) / 4
        return DeadlineInfo(at, at.astimezone(CHINA_TZ).date().isoformat(), reminder, provisional=False)
    if request.unit is DeadlineUnit.CALENDAR_DAYS:
        deadline = calendar.calendar_deadline(request.start, request.amount)
    else:
        deadline = calendar.deadline(request.start, request.amount)
    reminder = datetime.combine(deadline.due_date, _REMINDER_TIME, tzinfo=CHINA_TZ)
    return DeadlineInfo(deadline.at, deadline.due_date.isoformat(), reminder, deadline.provisional)


class ReferenceActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], policies: PolicyBook) -> None:
        self._sessions = sessions
        self._policies = policies

    @activity.defn
    async def resolve_policy(self, input: ResolvePolicyInput) -> AssistancePolicy:
        return self._policies.resolve(input.assistance_type, input.county_code)

    @activity.defn
    async def compute_deadline(self, input: ComputeDeadlineInput) -> DeadlineInfo:
        return deadline_info(await load_calendar(self._sessions), input)
