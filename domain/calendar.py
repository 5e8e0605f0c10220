"""The working-day calendar of the People's Republic of China.

Statutory holidays and make-up working days (调休) come from `chinesecalendar`, which only knows
the years already announced by the State Council. An administrator can load further years (or
corrections) as a table of overrides. A date in a year that neither source covers is treated as
"weekends off" and every answer derived from it is marked provisional, so a case never crashes
because next year's calendar has not been published yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def _library_years() -> frozenset[int]:
    return frozenset(
        {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    )


_LIBRARY_YEARS = _library_years()


@dataclass(frozen=True)
class DayOverride:
    """One admin-loaded day: a holiday on a weekday, or a make-up working day on a weekend."""

    day: date
    is_working_day: bool
    name: str = ""


@dataclass(frozen=True)
class DayStatus:
    day: date
    is_working_day: bool
    provisional: bool


@dataclass(frozen=True)
class WorkingDayResult:
    day: date
    provisional: bool


@dataclass(frozen=True)
class Deadline:
    """A time limit, due by the end of `due_date` (Beijing time); `at` is the exclusive instant."""

    due_date: date
    at: datetime
    provisional: bool


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Answers "is this a working day" and "N working days after X".

    `overrides` are admin-loaded days and win over the library; `complete_years` are the years
    whose whole announcement was loaded by an admin, so dates in them are not provisional.
    """

    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    complete_years: frozenset[int] = frozenset()

    @classmethod
    def from_overrides(
        cls, days: Iterable[DayOverride], complete_years: Iterable[int] = ()
    ) -> WorkingDayCalendar:
        return cls({d.day: d for d in days}, frozenset(complete_years))

    def covers(self, year: int) -> bool:
        return year in self.complete_years or year in _LIBRARY_YEARS

    def status(self, day: date) -> DayStatus:
        override = self.overrides.get(day)
        if override is not None:
            return DayStatus(day, override.is_working_day, provisional=False)
        if day.year in _LIBRARY_YEARS:
            return DayStatus(day, bool(chinese_calendar.is_workday(day)), provisional=False)
        return DayStatus(day, day.weekday() < 5, provisional=not self.covers(day.year))

    def is_working_day(self, day: date) -> bool:
        return self.status(day).is_working_day

    def add_working_days(self, start: date, days: int) -> WorkingDayResult:
        """The `days`-th working day after `start` (start is day 0 and never counts)."""
        if days < 0:
            raise ValueError("working days must not be negative")
        current, counted, provisional = start, 0, False
        while counted < days:
            current += timedelta(days=1)
            status = self.status(current)
            provisional = provisional or status.provisional
            counted += status.is_working_day
        return WorkingDayResult(current, provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how much of a limit has been used by `end`."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count

    def deadline(self, start: datetime, working_days: int) -> Deadline:
        """ "Within N working days of `start`": due by the end of the N-th working day after it."""
        result = self.add_working_days(start.astimezone(CHINA_TZ).date(), working_days)
        return Deadline(result.day, _end_of(result.day), result.provisional)

    def calendar_deadline(self, start: datetime, calendar_days: int) -> Deadline:
        """For limits that a regional policy counts in calendar days."""
        due = start.astimezone(CHINA_TZ).date() + timedelta(days=calendar_days)
        return Deadline(due, _end_of(due), provisional=False)


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=CHINA_TZ)
