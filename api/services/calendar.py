"""The admin-loaded holiday calendar, one year at a time. Deadlines computed after a load use it;
deadlines already running keep the date they were given (the workflow owns them)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import ApiError
from api.schemas.admin import CalendarDayIn, CalendarYearIn, CalendarYearOut
from domain.staff import Actor
from infra.models import CalendarDay, CalendarYear


def _check(year: int, body: CalendarYearIn) -> None:
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(body.days):
        iso = entry.day.isoformat()
        if entry.day.year != year:
            errors.append(
                {"field": f"days.{i}.day", "type": "wrong_year", "message": f"{iso} 不在 {year} 年内"}
            )
        if iso in seen:
            errors.append({"field": f"days.{i}.day", "type": "duplicate", "message": f"{iso} 重复出现"})
        seen.add(iso)
    if errors:
        raise ApiError(422, "invalid_calendar", f"{year} 年节假日安排有误，请修改后重新提交", errors=errors)


class CalendarService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def replace_year(self, year: int, body: CalendarYearIn, operator: Actor) -> CalendarYearOut:
        _check(year, body)
        # One transaction: readers (the deadline activity) see the old year or the new one, never half.
        async with self._sessions.begin() as session:
            await session.execute(delete(CalendarDay).where(CalendarDay.year == year))
            session.add_all(
                CalendarDay(day=d.day, is_working_day=d.is_working_day, name=d.name, year=year)
                for d in body.days
            )
            marker = await session.get(CalendarYear, year)
            if body.complete:
                marker = marker or CalendarYear(year=year)
                marker.loaded_by = operator.username
                marker.loaded_at = datetime.now(UTC)
                session.add(marker)
            elif marker is not None:
                # A partial load replaces a complete one: that year's dates are provisional again.
                await session.delete(marker)
        return await self.get_year(year)

    async def get_year(self, year: int) -> CalendarYearOut:
        async with self._sessions() as session:
            days = await session.scalars(
                select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)
            )
            marker = await session.get(CalendarYear, year)
            return CalendarYearOut(
                year=year,
                complete=marker is not None,
                loaded_by=marker.loaded_by if marker else None,
                loaded_at=marker.loaded_at if marker else None,
                days=[CalendarDayIn(day=d.day, is_working_day=d.is_working_day, name=d.name) for d in days],
            )


# Enough to read in the audit log; a whole year rarely differs in more days.
_MAX_LISTED = 60


def changed_days(before: CalendarYearOut, after: CalendarYearOut) -> dict[str, object]:
    """For the audit entry: the dates whose entry was added, removed or changed by a load."""
    old = {d.day: (d.is_working_day, d.name) for d in before.days}
    new = {d.day: (d.is_working_day, d.name) for d in after.days}
    changed = sorted(day.isoformat() for day in old.keys() | new.keys() if old.get(day) != new.get(day))
    return {"changed_days": changed[:_MAX_LISTED], "changed_count": len(changed)}
