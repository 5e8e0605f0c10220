"""What the statistics read besides the case tables: each case's time limits, one row per
(case, limit), kept by the activity that writes the timeline (infra/case_limits.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class CaseLimit(Base):
    """A case's time limit as it stands: its deadline (after extensions and recounts) and whether
    the workflow flagged it breached. A new round of the same limit (after a county "return")
    replaces the row: the earlier round was cancelled by the workflow and is judged no more."""

    __tablename__ = "case_limits"
    __table_args__ = (
        UniqueConstraint("application_number", "limit_name", name="uq_case_limit"),
        # The statistics select a county's (or township's) limits due in a period; covering (every
        # column they group by), so that the rows themselves are not read.
        Index(
            "ix_case_limits_county_deadline",
            "county_code",
            "deadline",
            "township_code",
            "limit_name",
            "assistance_type",
            "green_channel",
            "breached_at",
            "application_number",
        ),
        # … and its breached limits (the cases overdue now), covering too (migration 0024).
        Index(
            "ix_case_limits_county_breached_figures",
            "county_code",
            "breached_at",
            "township_code",
            "assistance_type",
            "application_number",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40))
    limit_name: Mapped[str] = mapped_column(String(40))
    county_code: Mapped[str] = mapped_column(String(12))
    township_code: Mapped[str] = mapped_column(String(12))
    assistance_type: Mapped[str] = mapped_column(String(32))
    green_channel: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The timeline entry (seq) that last wrote the row: an older entry replayed late changes nothing.
    seq: Mapped[int] = mapped_column(Integer)
