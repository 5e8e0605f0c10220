"""The ministry's monthly report (民政统计月报-style) for one county and month: rows of figures,
and the same rows as CSV (UTF-8 with BOM, infra/csv_export.py) and as an .xlsx workbook.

Rows (section, item, unit, value): 城市/农村低保 households, persons, the standard, the mean benefit
and the month's spending; 特困 persons and spending; 临时救助 人次 and amount; the month's total
spending. Counts are integers, money in fen in the JSON and in 元 (two decimals) in the files,
so the three forms hold the same numbers. Formulas: the notes' "Statistics" section.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import AssistanceType, UrbanRural
from domain.payroll import OrderKind
from domain.statistics import Period, mean_fen
from infra.csv_export import csv_text
from infra.models import Application, Beneficiary, PaymentOrder
from services.statistics_queries import Scope
from services.statistics_roster import PAID, on_roster, urban_rural_of

TEMPORARY = (AssistanceType.TEMP_EMERGENCY.value, AssistanceType.TEMP_EXPENDITURE.value)
TEMP_KINDS = (OrderKind.ONE_OFF.value, OrderKind.STAGE.value, OrderKind.RESCUE.value)
HEADER = ("序号", "类别", "指标", "计量单位", "本月数")


class ReportRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str  # stable identifier of the row (the page and the tests read it)
    section: str
    item: str
    unit: str
    kind: Literal["count", "fen"]
    value: int | None  # fen for money; None: nothing to average

    def display(self) -> str:
        if self.value is None:
            return ""
        return yuan(self.value) if self.kind == "fen" else str(self.value)


class MonthlyReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    county_code: str
    county_name: str
    month: str
    rows: list[ReportRow]


def yuan(fen: int) -> str:
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


@dataclass(frozen=True)
class _Area:
    households: int = 0
    persons: int = 0
    benefit_fen: int = 0
    spent_fen: int = 0


async def _dibao_by_area(session: AsyncSession, s: Scope, month: str) -> dict[str, _Area]:
    b = Beneficiary
    # Grouped by community, its urban/rural looked up once per community (joining the regions
    # made one lookup per household and per order).
    by_community = (
        await session.execute(
            select(b.community_code, func.count(), func.sum(b.household_size), func.sum(b.monthly_amount_fen))
            .where(*on_roster(s, month))
            .group_by(b.community_code)
        )
    ).all()
    paid_by_community: list[tuple[str, int]] = []
    for selection in _paid_in(s, month):
        paid_by_community += [
            (community, int(fen or 0))
            for community, fen in await session.execute(
                select(Application.community_code, func.sum(PaymentOrder.amount_fen))
                .join(
                    Application,
                    # The order's county is its case's: said twice so the case is found in the
                    # covering index.
                    and_(
                        Application.application_number == PaymentOrder.application_number,
                        Application.county_code == s.county,
                    ),
                )
                .where(*selection, PaymentOrder.assistance_type == AssistanceType.DIBAO.value)
                .group_by(Application.community_code)
            )
        ]
    kinds = await urban_rural_of(session, {c for c, *_ in by_community} | {c for c, _ in paid_by_community})
    roster: dict[str, list[int]] = {}
    for community, households, persons, benefit in by_community:
        acc = roster.setdefault(kinds.get(community) or "", [0, 0, 0])
        acc[0], acc[1], acc[2] = (
            acc[0] + int(households),
            acc[1] + int(persons or 0),
            acc[2] + int(benefit or 0),
        )
    spent: dict[str, int] = defaultdict(int)
    for community, fen in paid_by_community:
        spent[kinds.get(community) or ""] += fen
    out: dict[str, _Area] = {}
    for key, (households, persons, benefit) in roster.items():
        out[key] = _Area(households, persons, benefit, spent.pop(key, 0))
    for key, fen in spent.items():
        out[key] = _Area(spent_fen=int(fen or 0))
    return out


def _paid_in(s: Scope, month: str) -> list[list[ColumnElement[bool]]]:
    """Orders of the county paid (or handed over) for `month`: monthly and staged payments of the
    month, and one-off and rescue payments ordered in it. Two selections, each served by the
    (county, month) index: their OR made the database read every order of the county."""
    o = PaymentOrder
    period = s.period
    common = [o.county_code == s.county, o.kind != OrderKind.RECOVERY.value, o.status.in_(PAID)]
    return [
        [*common, o.month == month],
        [*common, o.month.is_(None), o.ordered_at >= period.start_at, o.ordered_at < period.end_at],
    ]


async def monthly_report(
    session: AsyncSession,
    county_code: str,
    county_name: str,
    period: Period,
    standard_fen: int,
    payroll_day: int,
) -> MonthlyReport:
    month = period.months[0]
    s = Scope(county_code, period, None, period.end_at, payroll_day)
    dibao = Scope(county_code, period, AssistanceType.DIBAO, period.end_at, payroll_day)
    areas = await _dibao_by_area(session, dibao, month)
    tekun = Scope(county_code, period, AssistanceType.TEKUN, period.end_at, payroll_day)
    tekun_row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Beneficiary.household_size), 0))
            .select_from(Beneficiary)
            .where(*on_roster(tekun, month))
        )
    ).one()
    o = PaymentOrder
    by_type = [
        row
        for selection in _paid_in(s, month)
        for row in await session.execute(
            select(
                o.assistance_type,
                func.count(),
                func.sum(o.amount_fen),
                func.sum(case((o.kind.in_(TEMP_KINDS), 1), else_=0)),
                func.sum(case((o.kind.in_(TEMP_KINDS), o.amount_fen), else_=0)),
            )
            .where(*selection)
            .group_by(o.assistance_type)
        )
    ]
    spent: dict[str | None, int] = defaultdict(int)
    for kind, _, fen, _, _ in by_type:
        spent[kind] += int(fen or 0)
    temp_times = sum(int(n or 0) for kind, _, _, n, _ in by_type if kind in TEMPORARY)
    temp_fen = sum(int(f or 0) for kind, _, _, _, f in by_type if kind in TEMPORARY)
    rows: list[ReportRow] = []
    for area, section in ((UrbanRural.URBAN.value, "城市低保"), (UrbanRural.RURAL.value, "农村低保")):
        a = areas.get(area, _Area())
        rows += [
            ReportRow(code=f"dibao_{area}_households", section=section, item="低保户数", unit="户", kind="count", value=a.households),
            ReportRow(code=f"dibao_{area}_persons", section=section, item="低保人数", unit="人", kind="count", value=a.persons),
            ReportRow(code=f"dibao_{area}_standard", section=section, item="平均低保标准", unit="元/人·月", kind="fen", value=standard_fen),
            ReportRow(code=f"dibao_{area}_mean_benefit", section=section, item="月人均补助水平", unit="元/人·月", kind="fen", value=mean_fen(a.benefit_fen, a.persons)),
            ReportRow(code=f"dibao_{area}_spending", section=section, item="当月低保资金支出", unit="元", kind="fen", value=a.spent_fen),
        ]  # fmt: skip
    unclassified = areas.get("", _Area())
    rows += [
        ReportRow(code="dibao_unclassified_households", section="低保", item="所在社区未标注城乡属性的低保户数", unit="户", kind="count", value=unclassified.households),
        ReportRow(code="tekun_households", section="特困人员", item="特困供养户数", unit="户", kind="count", value=int(tekun_row[0])),
        ReportRow(code="tekun_persons", section="特困人员", item="特困供养人数", unit="人", kind="count", value=int(tekun_row[1] or 0)),
        ReportRow(code="tekun_spending", section="特困人员", item="当月特困供养资金支出", unit="元", kind="fen", value=spent.get(AssistanceType.TEKUN.value, 0)),
        ReportRow(code="temporary_times", section="临时救助", item="临时救助人次", unit="人次", kind="count", value=temp_times),
        ReportRow(code="temporary_amount", section="临时救助", item="临时救助金额", unit="元", kind="fen", value=temp_fen),
        ReportRow(code="total_spending", section="合计", item="当月社会救助资金支出", unit="元", kind="fen", value=sum(spent.values())),
    ]  # fmt: skip
    return MonthlyReport(county_code=county_code, county_name=county_name, month=month, rows=rows)


# -- the files ---------------------------------------------------------------------------------
def report_csv(report: MonthlyReport) -> str:
    body = [(n, r.section, r.item, r.unit, r.display()) for n, r in enumerate(report.rows, 1)]
    return csv_text(HEADER, body)


def report_xlsx(report: MonthlyReport) -> bytes:
    """One sheet: a title line, the header, one row per figure; money as numbers in 元 with two
    decimals (format #,##0.00), counts as integers (#,##0), so the cells can be summed."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{report.month}月报"
    sheet.append([f"{report.county_name}社会救助统计月报（{report.month}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(HEADER))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for n, r in enumerate(report.rows, 1):
        value: float | int | None = r.value
        if r.kind == "fen" and r.value is not None:
            value = round(r.value / 100, 2)
        sheet.append([n, r.section, r.item, r.unit, value])
        sheet.cell(row=sheet.max_row, column=5).number_format = "#,##0.00" if r.kind == "fen" else "#,##0"
    for column, width in zip("ABCDE", (6, 12, 34, 12, 18), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
