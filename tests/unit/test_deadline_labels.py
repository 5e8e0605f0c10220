"""The deadline as the inbox and the case page word it, on the real PRC calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.calendar import CHINA_TZ, WorkingDayCalendar
from domain.deadline_labels import DeadlineState, deadline_label


def _due(day: date) -> datetime:
    # As stored: the start of the day after the limit's last day.
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=CHINA_TZ)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ)


CAL = WorkingDayCalendar()


def test_working_days_left_skip_the_weekend() -> None:
    # Due Tuesday 2026-12-08, seen on Friday 2026-12-04: Monday and Tuesday are left.
    label = deadline_label(CAL, _due(date(2026, 12, 8)), _at(date(2026, 12, 4)))
    assert (label.state, label.working_days, label.text) == (DeadlineState.RUNNING, 2, "剩余2个工作日")


def test_the_last_day_reads_due_today_until_midnight() -> None:
    label = deadline_label(CAL, _due(date(2026, 12, 4)), _at(date(2026, 12, 4), 23))
    assert (label.state, label.text) == (DeadlineState.DUE_TODAY, "今日到期")


def test_overdue_counts_working_days_past_and_the_national_day_holiday_is_not_counted() -> None:
    # Due Tuesday 2026-09-29; on Thursday 2026-10-08 only 30 Sep and 8 Oct were working days since
    # (1–7 October is the National Day holiday in the State Council's 2026 announcement).
    label = deadline_label(CAL, _due(date(2026, 9, 29)), _at(date(2026, 10, 8)))
    assert (label.state, label.working_days, label.text) == (DeadlineState.OVERDUE, 2, "已超期2个工作日")


def test_overdue_on_the_weekend_after_a_friday_limit_says_overdue_without_a_count() -> None:
    label = deadline_label(CAL, _due(date(2026, 12, 4)), _at(date(2026, 12, 5)))
    assert (label.state, label.text) == (DeadlineState.OVERDUE, "已超期")
