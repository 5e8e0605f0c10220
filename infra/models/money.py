"""Money leaving the bureau: beneficiaries, payroll runs, payment orders (one per household and
month, under a unique key), the bank files (代发批次) and the monthly public disclosure.

Sums of money are 64-bit (BigInteger): a county's month passes 2^31 fen (21,474,836.47 元) with
about 27,000 households at 800 元; one order's amount is bounded far below that."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class PaymentOrder(Base):
    __tablename__ = "payment_orders"
    # The business identity of a payment: a household is never ordered twice for the same month.
    __table_args__ = (
        UniqueConstraint("application_number", "kind", "month", name="uq_payment_household_month"),
        # Statistics: a county's orders of a month (and, month empty, its one-off orders).
        Index("ix_payment_orders_county_month", "county_code", "month"),
        # Statistics: every column the money figures and the monthly report aggregate, so a
        # county's month is read from the index alone (migration 0024).
        Index(
            "ix_payment_orders_county_month_figures",
            "county_code", "month", "township_code", "assistance_type", "kind", "status", "amount_fen",
            "attempts", "paid_at", "batch_id", "ordered_at", "application_number",
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_key: Mapped[str] = mapped_column(String(80), unique=True)  # business identity: never paid twice
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    month: Mapped[str | None] = mapped_column(String(7), index=True)  # YYYY-MM paid for
    county_code: Mapped[str | None] = mapped_column(String(12), index=True)
    township_code: Mapped[str | None] = mapped_column(String(12))
    assistance_type: Mapped[str | None] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(Integer)
    form_of_aid: Mapped[str] = mapped_column(String(16))
    item_description: Mapped[str] = mapped_column(Text, default="")  # 实物: what is handed over
    # What the public disclosure shows (脱敏), copied when the order is made.
    masked_name: Mapped[str] = mapped_column(String(64), default="")
    masked_id_number: Mapped[str] = mapped_column(String(18), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer, index=True)
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    bank_serial: Mapped[str | None] = mapped_column(String(40))
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the decision to pay was taken (workflow time): what the 24-hour rescue rule is about.
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # The publication (按月公开 or a later supplement) that showed this payment; None: not yet.
    disclosure_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Beneficiary(Base):
    """A household enrolled after approval: what the payroll pays and the lifecycle re-checks."""

    __tablename__ = "beneficiaries"
    # Statistics: a county's exits of a period.
    __table_args__ = (
        Index("ix_beneficiaries_county_exit", "county_code", "exit_month"),
        # The roster of a month from the index alone (migration 0024).
        Index(
            "ix_beneficiaries_county_roster",
            "county_code", "status", "assistance_type", "community_code", "start_month", "exit_month",
            "category", "household_size", "monthly_amount_fen",
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), unique=True)
    assistance_type: Mapped[str] = mapped_column(String(32), index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    township_code: Mapped[str] = mapped_column(String(12))
    community_code: Mapped[str] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(1))
    monthly_amount_fen: Mapped[int] = mapped_column(Integer)
    # Persons in the household, copied from the application when the row is written (the
    # application never changes it): the roster's persons without a join (statistics).
    household_size: Mapped[int | None] = mapped_column(Integer)
    start_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(24), index=True)  # pending_enrolment is 17 (0025)
    # What public disclosure shows (脱敏); the full name and ID number stay with the application.
    masked_name: Mapped[str] = mapped_column(String(64), default="")
    masked_id_number: Mapped[str] = mapped_column(String(18), default="")
    next_review_month: Mapped[str | None] = mapped_column(String(7))
    phase_out_until: Mapped[str | None] = mapped_column(String(7))
    exit_month: Mapped[str | None] = mapped_column(String(7))  # first month no longer paid
    integrity_mark: Mapped[bool] = mapped_column(Boolean, default=False)  # 诚信救助对象
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )


class PayeeAccount(Base):
    """The account a household is paid into (社会化发放). The number is sealed (infra.pii) with a
    keyed digest for lookup; finance or the township registers and corrects it."""

    __tablename__ = "payee_accounts"

    application_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_holder: Mapped[str] = mapped_column(String(64))
    account_sealed: Mapped[str] = mapped_column(Text)
    account_digest: Mapped[str] = mapped_column(String(64), index=True)
    account_last4: Mapped[str] = mapped_column(String(4))
    bank_name: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PayrollRun(Base):
    """One county's payroll for one month: the snapshot is frozen once, whatever reruns follow."""

    __tablename__ = "payroll_runs"
    __table_args__ = (UniqueConstraint("county_code", "month", name="uq_payroll_county_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(12))
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    frozen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    households: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    runs: Mapped[int] = mapped_column(Integer, default=1)  # how often the month was run (reruns)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PaymentBatch(Base):
    """A 代发 file sent to the bank. Its content is fixed when it is built (sealed: it holds account
    numbers) so that a resend after a crash is byte-identical and the bank recognises it."""

    __tablename__ = "payment_batches"

    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    month: Mapped[str] = mapped_column(String(7))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # built | submitted | completed | rejected
    lines: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    file_sealed: Mapped[str] = mapped_column(Text)
    receipt: Mapped[str | None] = mapped_column(String(64))
    paid: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Disclosure(Base):
    """按月公开: one publication of a county's payments of a month — the monthly one (seq 0, by the
    5th of the next month), then a supplement (补充公开, seq 1, 2, …) for each later disclosure run
    that finds payments of the month settled since (a retried order paid weeks later). Each
    payment is in exactly one publication (`PaymentOrder.disclosure_id`)."""

    __tablename__ = "disclosures"
    __table_args__ = (UniqueConstraint("county_code", "month", "seq", name="uq_disclosure_county_month_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(12))
    month: Mapped[str] = mapped_column(String(7))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    households: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
