"""预警清单: every risk warning raised for a case (at application) or a beneficiary (quarterly)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class RiskWarningRow(Base):
    __tablename__ = "risk_warnings"
    # One row per (case, origin, period, rule, member): an activity retry writes nothing twice.
    __table_args__ = (
        UniqueConstraint("application_number", "origin", "period", "rule", "member", name="uq_risk_warning"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # application | quarterly
    period: Mapped[str] = mapped_column(String(16), index=True)  # the check's date, or e.g. 2026Q4
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    rule: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(64))
    explanation: Mapped[str] = mapped_column(Text)
    member: Mapped[int] = mapped_column(Integer)  # member index, -1 for the whole household
    observed_on: Mapped[date | None] = mapped_column(Date)
    sources: Mapped[list[str]] = mapped_column(JSON)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | cleared | confirmed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class RecheckFailure(Base):
    """A household the quarterly re-check could not assess (no case file, or a department's data
    unusable): a person must look at it. One row per (period, household): a retry writes nothing
    twice."""

    __tablename__ = "quarterly_recheck_failures"
    __table_args__ = (UniqueConstraint("period", "application_number", name="uq_recheck_failure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    application_number: Mapped[str] = mapped_column(String(40))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class QuarterlyCheck(Base):
    """A household the quarterly re-check assessed: a check in 精准识别率's denominator (SPEC
    counts quarterly data re-checks as checks). One row per (period, household), so a batch's
    retry counts nobody twice. `warned`: the comparison raised warnings — such a household reaches
    the figure through the change re-check a person opens on it, not through this row."""

    __tablename__ = "quarterly_checks"
    __table_args__ = (
        UniqueConstraint("period", "application_number", name="uq_quarterly_check"),
        Index("ix_quarterly_checks_county_checked", "county_code", "checked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16))
    application_number: Mapped[str] = mapped_column(String(40))
    county_code: Mapped[str] = mapped_column(String(12))
    warned: Mapped[bool] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
