"""What the statistics page shows, as plain values for its template and its charts: headline figures
beside their targets and formulas, counts with their formulas, and each chart with the table that
is its text alternative.

Nothing here counts or divides: every number is a field of the statistics service's result
(domain.statistics.StatisticsOverview, the same JSON GET /api/v1/statistics/overview answers
with) and every formula is the one the service returns beside it. This module only picks, labels
and formats them, and asks domain.statistics_targets whether a rate is below its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from domain import statistics_targets as targets
from domain.enums import ASSISTANCE_TYPE_LABELS, AssistanceType
from domain.statistics import Durations, LimitCounts, Rate, StatisticsOverview
from domain.statistics_targets import Target

ChartKind = Literal["bar", "line"]


def shown_percent(rate: Rate) -> str:
    """The service's rounded percent as the page prints it; no denominator is a dash (never 0 %)."""
    return "—" if rate.percent is None else f"{rate.percent:.2f} %"


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:,.2f}"


def days(value: float | int | None) -> str:
    return "—" if value is None else f"{value:g}"


@dataclass(frozen=True)
class Headline:
    """One rate against its target: `below` is what the page shows in red (and says in words)."""

    key: str
    label: str
    value: str
    target: str
    below: bool
    formula: str
    basis: str  # the counts behind the rate, e.g. "39 / 40"
    measured: bool  # False: nothing to measure in the period (no denominator)


@dataclass(frozen=True)
class Count:
    label: str
    value: str
    formula: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | int | None, ...]


@dataclass(frozen=True)
class Chart:
    """A chart (drawn by statistics.js from `data`, a JSON block the page carries, never executed)
    and its data table: the same categories, the drawn series and the counts behind them."""

    key: str
    title: str
    kind: ChartKind
    category_label: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    columns: tuple[str, ...]  # the table's value columns
    cells: tuple[tuple[str, ...], ...]  # one row per category
    unit: str = ""
    note: str = ""
    percent_axis: bool = False

    @property
    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        return list(zip(self.categories, self.cells, strict=True))

    @property
    def data(self) -> dict[str, object]:
        """For the template's `| tojson` (which escapes < > & ' inside a <script> block)."""
        return {
            "kind": self.kind,
            "categories": list(self.categories),
            "series": [{"name": s.name, "values": list(s.values)} for s in self.series],
            "unit": self.unit,
            "percent": self.percent_axis,
        }


@dataclass(frozen=True)
class DetailTable:
    """A breakdown without a chart (by type, channel, area …): a titled table with its formula."""

    key: str
    title: str
    category_label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    note: str = ""


@dataclass(frozen=True)
class Overview:
    """The page body for one region, period and type."""

    region_code: str
    region_name: str
    period_label: str
    type_label: str
    headlines: tuple[Headline, ...]
    counts: tuple[Count, ...]
    charts: tuple[Chart, ...]
    report_month: str  # the month the monthly report's export links are for
    details: tuple[DetailTable, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)


def _headline(key: str, label: str, rate: Rate, target: Target, formula: str) -> Headline:
    return Headline(
        key,
        label,
        shown_percent(rate),
        target.text,
        target.is_below(rate.numerator, rate.denominator),
        formula,
        f"{rate.numerator} / {rate.denominator}",
        rate.denominator > 0,
    )


def _limit_cells(c: LimitCounts) -> tuple[str, ...]:
    return (str(c.met), str(c.breached), str(c.running), shown_percent(c.on_time_rate))


def _rate_value(r: Rate) -> float | None:
    return None if r.percent is None else r.percent / 100


LIMIT_COLUMNS = ("按时完成", "超期", "尚未到期", "达标率")


def _duration_cells(d: Durations) -> tuple[str, ...]:
    return (str(d.count), days(d.mean), days(d.median), days(d.p90))


def overview_view(result: StatisticsOverview, period_text: str) -> Overview:
    f = result.formulas
    apps, limits, money, roster = result.applications, result.limits, result.money, result.roster
    oversight, precise = result.oversight, result.precise_identification
    headlines = (
        _headline("precise", "精准识别率", precise.rate, targets.PRECISE_IDENTIFICATION,
                  f["precise_identification.rate"]),
        _headline("on_time", "时限达标率（全部时限）", limits.overall.on_time_rate, targets.ON_TIME,
                  f["limits.on_time_rate"]),
        _headline("green_channel", "绿色通道按时率", limits.green_channel.on_time_rate,
                  targets.GREEN_CHANNEL, f["limits.green_channel"]),
        _headline("emergency", "急难型24小时内救助率", limits.emergency_within_24h.on_time_rate,
                  targets.EMERGENCY_24H, f["limits.emergency_within_24h"]),
        _headline("timeliness", "资金发放及时率", money.timeliness, targets.PAYMENT_TIMELINESS,
                  f["money.timeliness"]),
        _headline("accuracy", "发放准确率", money.accuracy, targets.PAYMENT_ACCURACY, f["money.accuracy"]),
    )  # fmt: skip
    t = apps.totals
    counts = (
        Count("受理申请（件）", str(t.received), f["applications.totals.received"]),
        Count("已批准（件）", str(t.approved), f["applications.totals.approved"]),
        Count("不予批准（件）", str(t.rejected), f["applications.totals.rejected"]),
        Count("撤回（件）", str(t.withdrawn), f["applications.totals.withdrawn"]),
        Count("尚在办理（件）", str(t.open), f["applications.totals.open"]),
        Count("批准率", shown_percent(apps.approval_rate), f["applications.approval_rate"]),
        Count("当前超期在办案件（件）", str(limits.overdue_now), f["limits.overdue_now"]),
        Count("社会化发放率", shown_percent(money.socialised), f["money.socialised"]),
        Count("公示异议（件）/ 异议成立", f"{oversight.objections_filed} / {oversight.objections_upheld}",
              f["oversight.objections_upheld"]),
        Count("抽查：抽中 / 完成 / 一致 / 不一致",
              f"{oversight.spot_checks_drawn} / {oversight.spot_checks_done} / "
              f"{oversight.spot_checks_consistent} / {oversight.spot_checks_inconsistent}",
              f["oversight.spot_checks"]),
        Count("在册户数 / 人数", f"{roster.households} / {roster.persons}", f["roster.households"]),
        Count("低保标准（元/人·月）", yuan(roster.mean_standard_fen), f["roster.mean_standard_fen"]),
        Count("人均救助金额（元/人·月）", yuan(roster.mean_benefit_fen), f["roster.mean_benefit_fen"]),
        Count("发放金额（元）", yuan(money.paid_fen), f["money.paid_fen"]),
        Count("发放指令：应发 / 已到账", f"{money.payments} / {money.paid}", f["money.paid_fen"]),
        Count("发放失败（当前）/ 重发 / 重发后到账", f"{money.failed_now} / {money.retried} / {money.retried_paid}",
              f["money.retried"]),
        Count("追回金额（元）", yuan(money.recovered_fen), f["money.recovered_fen"]),
    )  # fmt: skip
    stages = apps.open_by_stage
    charts = (
        Chart(
            "stages", "在办案件各环节分布", "bar", "环节",
            tuple(s.label for s in stages), (Series("案件数", tuple(s.count for s in stages)),),
            ("案件数",), tuple((str(s.count),) for s in stages), unit="件",
            note=f["applications.totals.open"],
        ),
        Chart(
            "limits", "各时限达标率", "bar", "时限",
            tuple(x.label for x in limits.per_limit),
            (Series("达标率", tuple(_rate_value(x.on_time_rate) for x in limits.per_limit)),),
            LIMIT_COLUMNS, tuple(_limit_cells(x) for x in limits.per_limit),
            percent_axis=True, note=f["limits.on_time_rate"],
        ),
        Chart(
            "townships", "各乡镇（街道）时限达标率", "bar", "乡镇（街道）",
            tuple(x.name for x in limits.per_township),
            (Series("达标率", tuple(_rate_value(x.on_time_rate) for x in limits.per_township)),),
            LIMIT_COLUMNS, tuple(_limit_cells(x) for x in limits.per_township), percent_axis=True,
        ),
        Chart(
            "payments", "按月发放金额", "bar", "月份",
            tuple(m.label for m in money.by_month),
            (Series("发放金额（元）", tuple(m.paid_fen / 100 for m in money.by_month)),),
            ("指令数", "发放金额（元）"), tuple((str(m.payments), yuan(m.paid_fen)) for m in money.by_month),
            unit="元", note=f["money.paid_fen"],
        ),
        Chart(
            "durations", "各环节办理工作日", "bar", "环节",
            tuple(d.label for d in result.durations.per_stage),
            (Series("平均", tuple(d.mean for d in result.durations.per_stage)),
             Series("中位数", tuple(d.median for d in result.durations.per_stage)),
             Series("第90百分位", tuple(d.p90 for d in result.durations.per_stage))),
            ("件数", "平均", "中位数", "第90百分位"),
            tuple(_duration_cells(d) for d in result.durations.per_stage),
            unit="个工作日", note=f["durations.per_stage"],
        ),
    )  # fmt: skip
    details = (
        DetailTable(
            "by_type", "按救助类别的申请", "救助类别", ("受理", "已批准", "不予批准", "撤回", "其他终结", "在办"),
            tuple((t.label, (str(t.received), str(t.approved), str(t.rejected), str(t.withdrawn),
                             str(t.closed), str(t.open))) for t in apps.by_type),
            f["applications.totals.received"],
        ),
        DetailTable(
            "by_channel", "按受理渠道的申请", "受理渠道", ("受理件数",),
            tuple((c.label, (str(c.received),)) for c in apps.by_channel), f["applications.by_channel"],
        ),
        DetailTable(
            "limits_by_type", "按救助类别的时限达标率", "救助类别", LIMIT_COLUMNS,
            tuple((x.label, _limit_cells(x)) for x in limits.per_type), f["limits.on_time_rate"],
        ),
        DetailTable(
            "roster", "在册救助对象（期末月）", "分组", ("户数", "人数", "月救助金额（元）"),
            tuple((g.label, (str(g.households), str(g.persons), yuan(g.benefit_fen)))
                  for g in (*roster.by_type, *roster.by_area, *roster.by_class)),
            f["roster.by_area"],
        ),
        DetailTable(
            "exits", "期内退出（按原因）", "退出原因", ("户数",),
            tuple((x.label, (str(x.households),)) for x in roster.exits), f["roster.exits"],
        ),
        DetailTable(
            "warnings", "预警（按规则）", "预警规则", ("生成", "待核实", "已排除", "已确认"),
            tuple((w.title, (str(w.raised), str(w.open), str(w.cleared), str(w.confirmed)))
                  for w in oversight.warnings),
            f["oversight.warnings"],
        ),
    )  # fmt: skip
    whole = result.durations.whole_process
    notes = (
        f"全流程办理工作日：{whole.count} 件，平均 {days(whole.mean)}，中位数 {days(whole.median)}，"
        f"第90百分位 {days(whole.p90)}。{f['durations.whole_process']}",
    )
    type_label = (
        ASSISTANCE_TYPE_LABELS[AssistanceType(result.assistance_type)]
        if result.assistance_type
        else "全部类别"
    )
    return Overview(
        region_code=result.region_code,
        region_name=result.region_name,
        period_label=f"{result.period.start.isoformat()} 至 {result.period.end.isoformat()}（{period_text}）",
        type_label=type_label,
        headlines=headlines,
        counts=counts,
        charts=charts,
        report_month=result.period.months[-1],
        details=details,
        notes=notes,
    )
