"""Objections to a publicity (公示异议) sent by anyone from the public publicity page.

Personal data (the objector's phone, the text, which may name people, and the evidence file) are
sealed with the PII vault like an applicant's; the phone's keyed digest counts submissions per
number, the client address counts them per address. An objection stays `open` until the township
reviewer registers it on the case (`registered`) or records why not (`dismissed`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class PublicObjection(Base):
    __tablename__ = "public_objections"

    objection_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_number: Mapped[str] = mapped_column(String(40), index=True)
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    community_code: Mapped[str] = mapped_column(String(12))
    text_sealed: Mapped[str] = mapped_column(Text)
    phone_sealed: Mapped[str] = mapped_column(Text)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), index=True)
    # A digest of the form's key: the same form sent twice is one objection (the unique index
    # decides between two racing submits).
    form_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    has_evidence: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # pending (its code being checked; shown to nobody) | open | registered | dismissed
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dismiss_reason: Mapped[str | None] = mapped_column(Text)


class PublicObjectionEvidence(Base):
    """The evidence file of an objection, sealed (base64 of the bytes, then the vault's AES-GCM),
    with the SHA-256 of the plain bytes. Never served to the public."""

    __tablename__ = "public_objection_evidence"

    objection_id: Mapped[str] = mapped_column(ForeignKey("public_objections.objection_id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_sealed: Mapped[str] = mapped_column(Text)
