"""What the statistics page shows, as plain values for its template and its charts: headline figures
beside their targets and formulas, and each chart with the table that is its text alternative.

Nothing here counts or divides: every number comes from the statistics service (the same figures
GET /api/v1/statistics/overview answers with); this module only labels and formats them, and says
which of them are below their target (the comparison the page colours red).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

ChartKind = Literal["bar", "line"]


def percent(rate: Decimal | float | None) -> str:
    """A rate of the service (0..1, exact) as the page prints it: 97.50 %; no rate (nothing to
    divide by) is a dash, never 0 % or 100 %."""
    if rate is None:
        return "—"
    return f"{Decimal(str(rate)) * 100:.2f} %"


@dataclass(frozen=True)
class Headline:
    """One figure against its target: `below` is what the page shows in red."""

    key: str
    label: str
    value: str
    target: str
    below: bool
    formula: str
    basis: str  # the counts behind the rate, e.g. "39 / 40"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | int | None, ...]
    shown: tuple[str, ...]  # the same values as the table prints them


@dataclass(frozen=True)
class Chart:
    """A chart and its data table: the same categories and series, drawn by statistics.js from
    `data` (a JSON block the page carries, never executed) and printed as the table."""

    key: str
    title: str
    kind: ChartKind
    category_label: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""
    note: str = ""
    max_value: float | None = None  # 1.0 for rates: the axis ends at 100 %
    percent_axis: bool = False

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        return [(c, [s.shown[i] for s in self.series]) for i, c in enumerate(self.categories)]

    @property
    def data(self) -> dict[str, object]:
        """For the template's `| tojson` (which escapes < > & ' for a <script> block)."""
        return {
                "kind": self.kind,
                "categories": list(self.categories),
                "series": [{"name": s.name, "values": list(s.values)} for s in self.series],
                "unit": self.unit,
                "max": self.max_value,
                "percent": self.percent_axis,
        }


@dataclass(frozen=True)
class ReportLink:
    county_code: str
    county_name: str
    month: str
    csv_href: str
    xlsx_href: str


@dataclass(frozen=True)
class Overview:
    """The whole page body for one region, period and type."""

    region_name: str
    period_label: str
    type_label: str
    headlines: tuple[Headline, ...]
    counts: tuple[tuple[str, str], ...]  # (label, value) of the plain counts beside the rates
    charts: tuple[Chart, ...]
    report: ReportLink | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
