"""统计分析: the period a figure covers and the figures themselves (pure, no I/O).

The service (services/statistics.py) fills these models from SQL aggregates; the API returns them
as JSON and the staff page draws them. Counts are integers, money is in fen, a rate is the exact
fraction (numerator / denominator) with a rounded percent beside it, so that two databases, the
CSV and the workbook can only agree. Fields are only ever added, never renamed (the page reads them).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import CHINA_TZ


class PeriodError(ValueError):
    """A period that cannot be read, or lies in the future: `code` is the machine code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Period:
    """Days `start`..`end` (both included, Beijing time) and the payroll months they touch."""

    label: str
    kind: str  # month | quarter | year | range
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=CHINA_TZ)

    @property
    def end_at(self) -> datetime:
        """Exclusive: the first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=CHINA_TZ)

    @property
    def months(self) -> list[str]:
        """YYYY-MM of every month the period touches, in order."""
        out, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str, today: date) -> Period:
    """`2026-11` (month), `2026Q4` (quarter), `2026` (year) or `2026-11-01..2026-11-15` (days,
    both included). A period that starts after `today` (Beijing) has no figures yet: refused."""
    text = text.strip()
    try:
        if m := _MONTH.match(text):
            year, month = int(m[1]), int(m[2])
            period = Period(text, "month", date(year, month, 1), _month_end(year, month))
        elif m := _QUARTER.match(text):
            year, q = int(m[1]), int(m[2])
            period = Period(f"{year}Q{q}", "quarter", date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
        elif m := _YEAR.match(text):
            year = int(m[1])
            period = Period(text, "year", date(year, 1, 1), date(year, 12, 31))
        elif m := _RANGE.match(text):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start:
                raise PeriodError("invalid_period", "统计期间的结束日期早于开始日期")
            if (end - start).days > 366 * 5:
                raise PeriodError("invalid_period", "统计期间不得超过五年")
            period = Period(text, "range", start, end)
        else:
            raise PeriodError(
                "invalid_period",
                "统计期间格式有误：请填写月份（2026-11）、季度（2026Q4）、年份（2026）或日期区间（2026-11-01..2026-11-15）",
            )
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError("invalid_period", "统计期间含有不存在的日期") from None
    if period.start.year < 2000:
        raise PeriodError("invalid_period", "统计期间过早")
    if period.start > today:
        raise PeriodError("period_in_future", "统计期间尚未开始，暂无数据")
    return period


def previous_month(today: date) -> str:
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


# -- small pure helpers ----------------------------------------------------------------------
def percent(numerator: int, denominator: int) -> float | None:
    """Rounded to two decimals, half up on the exact fraction (no float drift)."""
    if denominator <= 0:
        return None
    hundredths = (numerator * 10000 * 2 + denominator) // (2 * denominator)
    return hundredths / 100


def rate(numerator: int, denominator: int) -> Rate:
    return Rate(numerator=numerator, denominator=denominator, percent=percent(numerator, denominator))


def nearest_rank(sorted_values: list[int], fraction_num: int, fraction_den: int) -> int | None:
    """The nearest-rank percentile (the smallest value with at least that share at or below it)."""
    if not sorted_values:
        return None
    n = len(sorted_values)
    rank = max(1, -(-n * fraction_num // fraction_den))  # ceil(n · p)
    return sorted_values[rank - 1]


def median(sorted_values: list[int]) -> float | None:
    """The middle value; the mean of the two middle ones for an even count (a .5 at most)."""
    n = len(sorted_values)
    if n == 0:
        return None
    if n % 2:
        return float(sorted_values[n // 2])
    return (sorted_values[n // 2 - 1] + sorted_values[n // 2]) / 2


def durations(values: list[int]) -> Durations:
    ordered = sorted(values)
    total = sum(ordered)
    return Durations(
        count=len(ordered),
        total_days=total,
        mean=round(total / len(ordered), 2) if ordered else None,
        median=median(ordered),
        p90=nearest_rank(ordered, 9, 10),
    )


def mean_fen(total_fen: int, count: int) -> int | None:
    """Rounded half up to the fen."""
    if count <= 0:
        return None
    return (2 * total_fen + count) // (2 * count)


# -- the result ------------------------------------------------------------------------------
class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Rate(_Out):
    numerator: int
    denominator: int
    percent: float | None = Field(
        description="numerator ÷ denominator × 100，四舍五入到两位小数；分母为0时为空"
    )


class PeriodOut(_Out):
    label: str
    kind: str
    start: date
    end: date
    months: list[str]


class Outcomes(_Out):
    received: int = 0
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0
    closed: int = 0  # 放弃申请 etc.
    open: int = 0


class TypeOutcomes(Outcomes):
    assistance_type: str
    label: str


class ChannelCount(_Out):
    channel: str
    label: str
    received: int


class StageCount(_Out):
    stage: str
    label: str
    count: int


class ApplicationFigures(_Out):
    totals: Outcomes
    by_type: list[TypeOutcomes]
    by_channel: list[ChannelCount]
    open_by_stage: list[StageCount] = Field(description="期末仍在办理的案件按当前阶段")
    approval_rate: Rate = Field(description="批准 ÷（批准 + 不予批准），期内受理且已作出决定的案件")


class LimitCounts(_Out):
    met: int
    breached: int
    running: int
    on_time_rate: Rate


class LimitFigure(LimitCounts):
    limit: str
    label: str


class TownshipLimitFigure(LimitCounts):
    township_code: str
    name: str


class TypeLimitFigure(LimitCounts):
    assistance_type: str
    label: str


class LimitFigures(_Out):
    overall: LimitCounts
    per_limit: list[LimitFigure]
    per_township: list[TownshipLimitFigure]
    per_type: list[TypeLimitFigure]
    overdue_now: int = Field(description="统计时点仍在办理、且有时限已超期的案件数")
    green_channel: LimitCounts = Field(description="绿色通道案件的全部时限")
    emergency_within_24h: LimitCounts = Field(description="急难型先行救助24小时时限")


class Durations(_Out):
    count: int
    total_days: int
    mean: float | None
    median: float | None
    p90: int | None


class StageDuration(Durations):
    stage: str
    label: str


class DurationFigures(_Out):
    per_stage: list[StageDuration]
    whole_process: Durations = Field(description="受理至批准/不予批准决定的工作日")


class RuleWarnings(_Out):
    rule: str
    title: str
    raised: int
    open: int
    cleared: int
    confirmed: int


class OversightFigures(_Out):
    objections_filed: int
    objections_upheld: int = Field(description="异议成立：复核后不再建议批准的案件")
    warnings: list[RuleWarnings]
    spot_checks_drawn: int = Field(description="抽中（应抽查）的案件数")
    spot_checks_done: int
    spot_checks_consistent: int
    spot_checks_inconsistent: int


class RosterGroup(_Out):
    key: str
    label: str
    households: int
    persons: int
    benefit_fen: int = Field(description="月救助金额合计（分）")


class ExitGroup(_Out):
    reason: str
    label: str
    households: int


class RosterFigures(_Out):
    households: int
    persons: int
    benefit_fen: int
    by_type: list[RosterGroup]
    by_class: list[RosterGroup]
    by_area: list[RosterGroup]
    phase_out_households: int
    exits: list[ExitGroup]
    mean_standard_fen: int | None = Field(description="低保标准（分/人·月）")
    mean_benefit_fen: int | None = Field(description="人均救助金额（分/人·月）= 月救助金额合计 ÷ 人数")


class MoneyGroup(_Out):
    key: str
    label: str
    payments: int
    paid_fen: int


class MoneyFigures(_Out):
    payments: int = Field(description="期内应发的支付指令数")
    paid: int
    paid_fen: int
    by_type: list[MoneyGroup]
    by_month: list[MoneyGroup]
    failed_now: int = Field(description="仍处于发放失败的指令")
    retried: int = Field(description="发送银行不止一次的指令")
    retried_paid: int = Field(description="重发后已到账的指令")
    recovered_fen: int = Field(description="期内收回的追回款（分）")
    recoveries_opened: int
    timeliness: Rate = Field(description="资金发放及时率")
    accuracy: Rate = Field(description="发放准确率")
    socialised: Rate = Field(description="社会化发放率")


class CheckCounts(_Out):
    re_reviews: int
    change_rechecks: int
    quarterly_checks: int = Field(description="季度数据比对未发现异常的户数（发现异常的经情况变化复核计入）")
    spot_checks: int
    fraud_stops: int

    def total(self) -> int:
        return (
            self.re_reviews
            + self.change_rechecks
            + self.quarterly_checks
            + self.spot_checks
            + self.fraud_stops
        )


class PreciseIdentification(_Out):
    checked: CheckCounts
    ineligible: CheckCounts
    rate: Rate = Field(description="精准识别率 = 1 −（认定不符合条件的户数 ÷ 核查户数）")


class StatisticsOverview(_Out):
    region_code: str
    region_name: str
    period: PeriodOut
    assistance_type: str | None
    as_of: datetime
    applications: ApplicationFigures
    limits: LimitFigures
    durations: DurationFigures
    oversight: OversightFigures
    roster: RosterFigures
    money: MoneyFigures
    precise_identification: PreciseIdentification
    formulas: dict[str, str] = Field(description="每项指标的口径（中文），供页面在指标旁说明")
