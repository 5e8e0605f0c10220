from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.calendar import CHINA_TZ, DayOverride, WorkingDayCalendar

CAL = WorkingDayCalendar()


def test_statutory_holidays_and_make_up_days_of_2026() -> None:
    assert not CAL.is_working_day(date(2026, 10, 1))  # National Day
    assert not CAL.is_working_day(date(2026, 2, 17))  # Spring Festival
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday make-up working day (调休)
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday make-up before Spring Festival
    assert not CAL.is_working_day(date(2026, 10, 17))  # an ordinary Saturday


def test_counting_across_national_day_uses_the_make_up_saturday() -> None:
    # From Wed 9/30: 10/1-10/7 off; 10/8 Thu (1), 10/9 Fri (2), 10/10 Sat make-up (3).
    result = CAL.add_working_days(date(2026, 9, 30), 3)
    assert result.day == date(2026, 10, 10) and not result.provisional


def test_seven_working_days_of_publicity_over_labour_day() -> None:
    # From Wed 4/29: 4/30 (1), 5/1-5/5 off, 5/6 (2), 5/7 (3), 5/8 (4), 5/9 Sat make-up (5), 5/11 (6), 5/12 (7).
    assert CAL.add_working_days(date(2026, 4, 29), 7).day == date(2026, 5, 12)


def test_deadline_is_end_of_day_beijing_time() -> None:
    deadline = CAL.deadline(datetime(2026, 9, 30, 16, 30, tzinfo=CHINA_TZ), 3)
    assert deadline.due_date == date(2026, 10, 10)
    assert deadline.at == datetime(2026, 10, 11, 0, 0, tzinfo=CHINA_TZ)


def test_deadline_uses_the_beijing_date_of_a_utc_instant() -> None:
    # 2026-09-29 17:00 UTC is already 9/30 01:00 in Beijing.
    from datetime import UTC

    assert CAL.deadline(datetime(2026, 9, 29, 17, 0, tzinfo=UTC), 3).due_date == date(2026, 10, 10)


def test_year_not_announced_falls_back_to_weekends_and_is_provisional() -> None:
    result = CAL.add_working_days(date(2026, 12, 30), 3)  # 12/31, then 2027-01-01 (Fri), 01-04 (Mon)
    assert result.day == date(2027, 1, 4)
    assert result.provisional
    assert not CAL.add_working_days(date(2026, 12, 1), 3).provisional


def test_admin_loaded_year_replaces_the_fallback() -> None:
    loaded = WorkingDayCalendar.from_overrides(
        [DayOverride(date(2027, 1, 1), False, "元旦")], complete_years=[2027]
    )
    result = loaded.add_working_days(date(2026, 12, 30), 3)  # 12/31, 1/1 off now, 1/4, 1/5
    assert result.day == date(2027, 1, 5)
    assert not result.provisional


def test_overrides_win_over_the_library() -> None:
    corrected = WorkingDayCalendar.from_overrides([DayOverride(date(2026, 10, 10), False, "更正")])
    assert not corrected.is_working_day(date(2026, 10, 10))


def test_working_days_between_and_negative_counts() -> None:
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 5), -1)


def test_calendar_day_deadline_for_policies_that_count_calendar_days() -> None:
    deadline = CAL.calendar_deadline(datetime(2026, 9, 30, 9, 0, tzinfo=CHINA_TZ), 7)
    assert deadline.due_date == date(2026, 10, 7)
