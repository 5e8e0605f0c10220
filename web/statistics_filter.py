"""The statistics page's filter form: region, period (a month, a quarter, a year or a date range)
and assistance type, as GET parameters (codes and dates only, no personal data).

The form has one field per way of choosing a period, so it works without JavaScript (statistics.js
only hides the fields the chosen kind does not use). `period` turns them into the one period
parameter the statistics service and GET /api/v1/statistics/overview take; the service validates it
(a malformed or future period is its 422, shown beside the field).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

PERIOD_KINDS: dict[str, str] = {
    "month": "按月",
    "quarter": "按季度",
    "year": "按年",
    "range": "自定义日期范围",
}
QUARTERS = (("1", "第一季度"), ("2", "第二季度"), ("3", "第三季度"), ("4", "第四季度"))


@dataclass(frozen=True)
class StatisticsFilter:
    region: str = ""
    assistance_type: str = ""
    kind: str = "month"
    month: str = ""
    year: str = ""
    quarter: str = ""
    start: str = ""
    end: str = ""

    def completed(self, today: date) -> StatisticsFilter:
        """The form as first shown: this month, this year, this quarter filled in."""
        return replace(
            self,
            kind=self.kind if self.kind in PERIOD_KINDS else "month",
            month=self.month or today.strftime("%Y-%m"),
            year=self.year or str(today.year),
            quarter=self.quarter or str((today.month - 1) // 3 + 1),
        )

    @property
    def period(self) -> str:
        """The service's period parameter: 2026-11, 2026Q4, 2026 or 2026-10-01..2026-11-30."""
        if self.kind == "quarter":
            return f"{self.year}Q{self.quarter}"
        if self.kind == "year":
            return self.year
        if self.kind == "range":
            return f"{self.start}..{self.end}"
        return self.month
