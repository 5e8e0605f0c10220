"""What the beneficiary lifecycle writes: its timeline, exit notices, recoveries (追回) and the
credit file (信用档案). All append-only except a recovery's running total."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class BeneficiaryEvent(Base):
    __tablename__ = "beneficiary_events"
    __table_args__ = (UniqueConstraint("application_number", "seq", name="uq_beneficiary_events_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExitNoticeRow(Base):
    """退出告知书, issued one month before the exit takes effect."""

    __tablename__ = "exit_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    effective_month: Mapped[str] = mapped_column(String(7))
    reasons: Mapped[str] = mapped_column(Text)
    policy_basis: Mapped[str] = mapped_column(Text)
    referral: Mapped[str] = mapped_column(Text)


class Recovery(Base):
    """追回: money paid while the household did not qualify (fraud), to be paid back."""

    __tablename__ = "recoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), unique=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    since_month: Mapped[str] = mapped_column(String(7))
    # Sums over months (and one-off payments): 64-bit like every sum of money.
    amount_due_fen: Mapped[int] = mapped_column(BigInteger)
    amount_recovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))  # open | settled
    findings: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecoveryPayment(Base):
    """One repayment received; `reference` (the receipt number) makes recording it idempotent."""

    __tablename__ = "recovery_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recovery_id: Mapped[int] = mapped_column(Integer, index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CreditRecord(Base):
    """信用档案: a fraud finding, or the 诚信救助对象 mark earned by honest self-reporting."""

    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fraud | integrity
    summary: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
