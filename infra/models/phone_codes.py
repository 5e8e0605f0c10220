"""SMS one-time codes (services/phone_codes.py): hashed codes and each number's one-a-minute gate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class PhoneCode(Base):
    """One code sent to one number. Neither the code nor the number is stored in clear: the code as
    a keyed digest salted with its message id, the number as its keyed digest (infra/pii)."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    code_digest: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_ip: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # live → used (verified) | dead (5 wrong tries, or refused by the SMS provider) | replaced
    status: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PhoneCodeGate(Base):
    """When the number was last sent a code: the one-a-minute limit, taken by one atomic UPDATE."""

    __tablename__ = "phone_code_gates"

    phone_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
