"""Projections the application workflow writes: the task inbox, the timeline (append-only),
notifications, deadline breaches for statistics, and 特困 spot-check draws."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class Task(Base):
    __tablename__ = "tasks"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    # The workflow that owns the task (its actions are updates to it): None for the application
    # workflow of `application_number`, else e.g. the beneficiary lifecycle.
    workflow_id: Mapped[str | None] = mapped_column(String(64))
    task_type: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    candidate_role: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    follow_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    # The owning workflow's number for this state of the task: a write never replaces a newer one.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CaseEvent(Base):
    """电子档案 timeline: appended by the workflow, never updated. (application, seq) makes an
    activity retry harmless."""

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("application_number", "seq", name="uq_case_events_seq"),
        # Statistics: the stage moves (and objections) of a period, and a case's entries before
        # one; both covering what the working days read (migration 0024).
        Index(
            "ix_case_events_kind_at_figures",
            "kind",
            "at",
            "application_number",
            "seq",
            "stage",
            "previous_stage",
            "previous_stage_at",
        ),
        Index("ix_case_events_case_figures", "application_number", "seq", "kind", "at", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(32))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A `stage` entry's previous `stage` entry of the case (the stage it leaves, entered then):
    # kept by the activity that writes the timeline, so the working days per stage need no
    # lookup of the case's earlier entries (statistics; migration 0024 filled the older rows).
    previous_stage: Mapped[str | None] = mapped_column(String(32))
    previous_stage_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)  # idempotency key
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_role: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeadlineBreach(Base):
    __tablename__ = "deadline_breaches"
    __table_args__ = (UniqueConstraint("application_number", "limit_name", "deadline", name="uq_breach"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    limit_name: Mapped[str] = mapped_column(String(40), index=True)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    breached_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stage: Mapped[str] = mapped_column(String(32))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    township_code: Mapped[str] = mapped_column(String(12))
    green_channel: Mapped[bool] = mapped_column(default=False)


class SpotCheck(Base):
    """特困 spot-check draw, one per case; the county's running ratio decides the next draw."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), unique=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    sampled: Mapped[bool] = mapped_column()
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime())
    basis: Mapped[str] = mapped_column(Text)


class CaseProjection(Base):
    """The application workflow's view of its case as of its last change (domain StatusProjection:
    stage, limits, missing materials, amounts, category, publicity rounds, objections, extension),
    written beside the record that followed the change. The case read serves it without a query to
    the worker; the open tasks come from `tasks`. No personal data: codes, figures and labels."""

    __tablename__ = "case_projections"

    application_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
