"""How a deadline reads to the person who must meet it: "剩余N个工作日", "今日到期",
"已超期N个工作日" — counted on the working-day calendar, not in hours, because the limits are
written in working days and a clerk plans by them (a Friday deadline seen on Thursday evening has
one working day left, and after a holiday week's Saturday still none were lost)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.calendar import CHINA_TZ, WorkingDayCalendar


class DeadlineState(StrEnum):
    RUNNING = "running"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DeadlineLabel:
    state: DeadlineState
    working_days: int  # left (running) or past (overdue); 0 when due today
    text: str


def due_day(due_at: datetime) -> datetime:
    """The last day of a limit: deadlines are stored as the start of the day after it."""
    return (due_at - timedelta(microseconds=1)).astimezone(CHINA_TZ)


def deadline_label(calendar: WorkingDayCalendar, due_at: datetime, now: datetime) -> DeadlineLabel:
    last = due_day(due_at).date()
    today = now.astimezone(CHINA_TZ).date()
    if now >= due_at:
        past = calendar.working_days_between(last, today)
        text = f"已超期{past}个工作日" if past else "已超期"
        return DeadlineLabel(DeadlineState.OVERDUE, past, text)
    left = calendar.working_days_between(today, last)
    if left == 0:
        return DeadlineLabel(DeadlineState.DUE_TODAY, 0, "今日到期")
    return DeadlineLabel(DeadlineState.RUNNING, left, f"剩余{left}个工作日")
