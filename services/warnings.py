"""预警清单: the risk warnings of the caller's region, as rows or as the CSV the API and the pages
both export (one query, so the list and its download never disagree).

A warning sends a case to closer review; it never rejects one. The list shows rules, figures and
sources by member position — never names or ID numbers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.departments import DEPARTMENT_LABELS
from domain.staff import Actor
from infra.csv_export import csv_text
from infra.models import RiskWarningRow

CSV_HEADER = [
    "申请编号",
    "来源",
    "期间",
    "县区",
    "乡镇街道",
    "预警规则",
    "预警事项",
    "说明",
    "成员序号",
    "发生日期",
    "数据来源",
    "数据",
    "状态",
]
ORIGIN_LABELS = {"application": "申请核对", "quarterly": "季度核查"}


@dataclass(frozen=True)
class WarningFilter:
    county_code: str | None = None
    township_code: str | None = None
    rule: str | None = None
    status: str | None = None
    origin: str | None = None
    period: str | None = None
    application_number: str | None = None

    def query(self, region: str) -> Select[RiskWarningRow]:
        query = select(RiskWarningRow).where(RiskWarningRow.township_code.startswith(region, autoescape=True))
        for column, value in asdict(self).items():
            if value:
                query = query.where(getattr(RiskWarningRow, column) == value)
        return query.order_by(RiskWarningRow.created_at.desc(), RiskWarningRow.id.desc())


def source_labels(codes: list[str]) -> str:
    labels = {d.value: label for d, label in DEPARTMENT_LABELS.items()} | {
        "declared": "申报",
        "home_visit": "入户调查",
    }
    return "、".join(labels.get(c, c) for c in codes)


class WarningService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list(
        self, actor: Actor, wanted: WarningFilter, limit: int | None = 200, offset: int = 0
    ) -> list[RiskWarningRow]:
        """The warnings of the actor's region, newest first."""
        query = wanted.query(actor.region_code).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def csv(self, actor: Actor, wanted: WarningFilter) -> str:
        """Every warning the filter matches, as CSV (UTF-8 with BOM, formulas neutralised)."""
        rows: list[list[object]] = []
        for row in await self.list(actor, wanted, limit=None):
            rows.append([
                row.application_number, "申请核对" if row.origin == "application" else "季度核查", row.period,
                row.county_code, row.township_code, row.rule, row.title, row.explanation,
                "" if row.member < 0 else row.member + 1, row.observed_on or "", source_labels(row.sources),
                json.dumps(row.figures, ensure_ascii=False), row.status,
            ])  # fmt: skip
        return csv_text(CSV_HEADER, rows)
