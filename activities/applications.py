"""Side effects of the application workflow: the application database and the calendar."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from domain.application import ComputeDeadlineInput, ComputeDeadlineResult, RecordStageInput
from domain.calendar import WorkingDayCalendar
from infra.models import Application


class ApplicationActivities:
    """Holds the injected session factory; each activity opens its own short session."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], calendar: WorkingDayCalendar
    ) -> None:
        self._sessions = session_factory
        self._calendar = calendar

    @activity.defn
    async def record_stage(self, input: RecordStageInput) -> None:
        # Idempotent: setting the same stage twice (an activity retry) changes nothing.
        async with self._sessions.begin() as session:
            await session.execute(
                update(Application)
                .where(Application.application_number == input.application_number)
                .values(stage=input.stage.value)
            )

    @activity.defn
    async def compute_deadline(self, input: ComputeDeadlineInput) -> ComputeDeadlineResult:
        # An activity, not workflow code: the holiday table is data that admins change over time.
        deadline = self._calendar.deadline(input.start, input.working_days)
        return ComputeDeadlineResult(deadline.due_date.isoformat(), deadline.at, deadline.provisional)
