"""Every SMS sent to an applicant (短信记录): one row per business key, its delivery status.

The text is what the family read (rendered from the template: masked forms only, never a full ID
number or account); the phone is not stored here (it stays sealed on the application)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class SmsRecord(Base):
    __tablename__ = "sms_messages"

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # the business key
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    template: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # sent (taken by the provider, delivery pending) | delivered | failed (not delivered) |
    # opted_out (a payment message the household declined) | no_phone | refused (the provider or
    # our check refused it) | unavailable (the provider stayed down through every retry)
    status: Mapped[str] = mapped_column(String(16), index=True)
    receipt: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )
