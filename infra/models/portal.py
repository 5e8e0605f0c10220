"""The applicant portal (掌上办): applications filed online, waiting for the township window's
acceptance (受理), and the files uploaded with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class OnlineApplication(Base):
    """An application the applicant filed in the portal. No workflow runs and no legal clock starts
    until a clerk of the township accepts it: then it becomes a case (applications row) with
    channel `online`, and `application_number` names it. Personal data sealed like a case's."""

    __tablename__ = "online_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # What the applicant and the clerk see and the URLs carry: random, says nothing about anyone.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    submit_key: Mapped[str] = mapped_column(String(64), unique=True)  # the form's idempotency key
    assistance_type: Mapped[str] = mapped_column(String(32))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(64))
    household_size: Mapped[int] = mapped_column(Integer)
    applicant_phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    applicant_id_number_digest: Mapped[str] = mapped_column(String(64), index=True)
    # The validated ApplicationIn body (without its number), sealed as JSON.
    payload_sealed: Mapped[str] = mapped_column(Text)
    # submitted → accepted | returned (with `missing`) | withdrawn
    status: Mapped[str] = mapped_column(String(16), index=True)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    return_note: Mapped[str] = mapped_column(Text, default="")
    application_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))


class PortalUpload(Base):
    """A photo or PDF of one material. Content sealed (AES-GCM, infra/pii), with its SHA-256 for
    the archive; served only to the applicant who proved the phone and ID number, or to staff of
    the jurisdiction."""

    __tablename__ = "portal_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the file's URL name
    online_application_id: Mapped[int] = mapped_column(ForeignKey("online_applications.id"), index=True)
    material: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
