"""Money leaving the bureau: payment orders (idempotent by key) and enrolled beneficiaries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class PaymentOrder(Base):
    __tablename__ = "payment_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_key: Mapped[str] = mapped_column(String(80), unique=True)  # business identity: never paid twice
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(Integer)
    form_of_aid: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    # When the decision to pay was taken (workflow time): what the 24-hour rescue rule is about.
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Beneficiary(Base):
    """A household handed over to the lifecycle after approval (the beneficiary issue builds on it)."""

    __tablename__ = "beneficiaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), unique=True)
    assistance_type: Mapped[str] = mapped_column(String(32), index=True)
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    township_code: Mapped[str] = mapped_column(String(12))
    community_code: Mapped[str] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(1))
    monthly_amount_fen: Mapped[int] = mapped_column(Integer)
    start_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
