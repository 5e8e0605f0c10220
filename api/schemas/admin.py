"""Admin bodies: the holiday calendar a year at a time (放假调休安排, published each winter)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    is_working_day: bool = Field(description="false：放假；true：调休上班（周末补班）")
    name: str = Field(default="", max_length=64, description="节日名称，如 元旦、国庆节")


class CalendarYearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[CalendarDayIn] = Field(max_length=366, description="当年与常规周末安排不同的日期")
    complete: bool = Field(
        default=False, description="是否为当年完整的官方安排；完整时该年期限不再标记为“暂按周末推算”"
    )


class CalendarYearOut(BaseModel):
    year: int
    complete: bool
    loaded_by: str | None
    loaded_at: datetime | None
    days: list[CalendarDayIn]
    cases_notified: int = Field(
        default=0, description="本次载入后通知重新推算期限的在办案件数（其期限曾暂按周末推算）"
    )
