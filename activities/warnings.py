"""Writes the 预警清单: risk warnings of a case, once each (the unique key makes retries harmless)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from domain.risk import RiskWarning
from infra.models import RiskWarningRow


@dataclass
class RecordWarningsInput:
    application_number: str
    origin: str  # application | quarterly
    period: str
    county_code: str
    township_code: str
    warnings: list[RiskWarning] = field(default_factory=list)


class WarningActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def record_warnings(self, input: RecordWarningsInput) -> int:
        """Returns how many warnings were new."""
        added = 0
        for warning in input.warnings:
            try:
                async with self._sessions.begin() as session:
                    session.add(RiskWarningRow(**warning_row(input, warning)))
                added += 1
            except IntegrityError:
                continue  # written by an earlier attempt
        return added


def warning_row(input: RecordWarningsInput, warning: RiskWarning) -> dict[str, Any]:
    """The 预警清单 row of one warning (also written in bulk by the quarterly re-check)."""
    return {
        "application_number": input.application_number, "origin": input.origin, "period": input.period,
        "county_code": input.county_code, "township_code": input.township_code, "rule": warning.rule.value,
        "title": warning.title, "explanation": warning.explanation,
        "member": -1 if warning.member is None else warning.member, "observed_on": warning.on,
        "sources": list(warning.sources), "figures": dict(warning.figures), "status": "open",
    }  # fmt: skip
