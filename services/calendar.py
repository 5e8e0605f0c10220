"""The admin-loaded holiday calendar, one year at a time. Deadlines computed after a load use it;
running cases whose limits were counted provisionally through that year are told, and count them
again from their start (the workflow owns its deadlines; see ApplicationWorkflow.calendar_loaded)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.admin import CalendarDayIn, CalendarYearIn, CalendarYearOut
from domain.application import CalendarLoadedInput
from domain.calendar import CHINA_TZ
from domain.enums import Stage
from domain.staff import Actor
from infra.models import Application, CalendarDay, CalendarYear, CaseEvent
from services.errors import ApiError

log = logging.getLogger(__name__)

# The timeline events that give a limit its (possibly provisional) deadline.
_DEADLINE_EVENTS = ("limit_started", "extended", "deadline_moved")
# Stages after which an application workflow runs no limit (REJECTED still runs the refusal notice's).
_ENDED = (Stage.APPROVED.value, Stage.WITHDRAWN.value, Stage.CLOSED.value)
# Signals in flight at once: enough to tell a few thousand cases in seconds, few enough to leave
# the frontend's connection to others.
_CONCURRENT_SIGNALS = 16


class CaseSignals(Protocol):
    async def calendar_loaded(self, workflow_id: str, input: CalendarLoadedInput) -> bool: ...


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


def _provisional_through(data: dict[str, Any], year: int) -> bool:
    """A deadline counted provisionally that ends in `year` or later (so its count may run through
    it). Events written before deadlines carried these fields count as candidates."""
    if not data.get("provisional", "provisional" not in data):
        return False
    deadline = data.get("deadline")
    if not isinstance(deadline, str):
        return True
    return datetime.fromisoformat(deadline).astimezone(CHINA_TZ).year >= year


async def provisional_cases(session: AsyncSession, year: int) -> list[str]:
    """Workflow ids of running applications with a provisional limit that runs into `year`.
    Read from the timeline (every limit's start, extension and move is on it, also for cases
    started before this query existed); a case whose limit has been met since is told anyway and
    finds nothing to count again."""
    rows = await session.execute(
        select(Application.workflow_id, CaseEvent.data)
        .join(CaseEvent, CaseEvent.application_number == Application.application_number)
        .where(Application.stage.not_in(_ENDED), CaseEvent.kind.in_(_DEADLINE_EVENTS))
        .order_by(Application.workflow_id)
    )
    return list(dict.fromkeys(wf for wf, data in rows if _provisional_through(data or {}, year)))


class CalendarService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cases: CaseSignals | None = None) -> None:
        self._sessions = sessions
        self._cases = cases

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
        result = await self.get_year(year)
        # After the commit, so that the cases' deadline activity reads the year just loaded.
        result.cases_notified = await self._tell_cases(year, operator)
        return result

    async def _tell_cases(self, year: int, operator: Actor) -> int:
        if self._cases is None:
            return 0
        async with self._sessions() as session:
            workflow_ids = await provisional_cases(session, year)
        return await signal_all(self._cases, workflow_ids, CalendarLoadedInput(year, operator.username))

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


async def signal_all(cases: CaseSignals, workflow_ids: Iterable[str], input: CalendarLoadedInput) -> int:
    """Signal each case, a few at a time; the number of running cases told. A case that cannot be
    reached now is logged and left to its own re-check before its reminder or breach fires."""
    gate = asyncio.Semaphore(_CONCURRENT_SIGNALS)

    async def one(workflow_id: str) -> bool:
        async with gate:
            try:
                return await cases.calendar_loaded(workflow_id, input)
            except Exception as exc:  # one unreachable case must not stop the others
                log.warning("calendar signal to %s failed: %s", workflow_id, exc)
                return False

    return sum(await asyncio.gather(*(one(w) for w in workflow_ids)))
