"""Regions and applications."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.models.types import UtcDateTime

if TYPE_CHECKING:
    from infra.pii import PiiVault


class Base(DeclarativeBase):
    pass


class Region(Base):
    """行政区划: county → township/street → community/village, by statistical division code."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    # Communities only: urban (城市社区) or rural (农村村委会), domain.enums.UrbanRural. What the
    # statistics split 城市/农村 by; None for counties and townships (and communities not classified).
    urban_rural: Mapped[str | None] = mapped_column(String(8))


class Application(Base):
    """One application (申请). The application number is the business key and idempotency key."""

    __tablename__ = "applications"
    # Statistics: a county's applications received in a period.
    __table_args__ = (
        Index("ix_applications_county_accepted", "county_code", "accepted_at"),
        # Statistics: a case's region, type and stage looked up from the index alone, for every
        # limit and stage move counted (migration 0024).
        Index(
            "ix_applications_case_figures",
            "application_number", "county_code", "community_code", "assistance_type", "stage",
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str] = mapped_column(String(40), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(64), unique=True)
    assistance_type: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(64))
    # ID number and phone are sealed (infra.pii) with a keyed digest beside each for lookups; the
    # columns are never read directly: use the methods below with the vault.
    applicant_id_number_sealed: Mapped[str] = mapped_column(Text)
    applicant_id_number_digest: Mapped[str] = mapped_column(String(64), index=True)
    applicant_phone_sealed: Mapped[str] = mapped_column(Text)
    applicant_phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    household_size: Mapped[int] = mapped_column(Integer)
    green_channel: Mapped[bool] = mapped_column(default=False)
    # The validated submission as received (every member's name, ID number …), sealed as JSON, for
    # the archive; its keyed fingerprint recognises a resubmission without opening it.
    payload_sealed: Mapped[str] = mapped_column(Text)
    payload_fingerprint: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # True from the intake's insert until the case's workflow is known to run: the start repair
    # (infra/case_start.py) starts the cases an outage of the workflow service left pending.
    workflow_pending: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    # The household asked for no SMS about its monthly payments (the notices the law requires —
    # decisions, refusal reasons, exit — are sent regardless).
    payment_sms_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )

    def seal_personal_data(
        self, vault: PiiVault, *, id_number: str, phone: str, submission: dict[str, Any]
    ) -> None:
        self.applicant_id_number_sealed = vault.seal(id_number)
        self.applicant_id_number_digest = vault.digest(id_number)
        self.applicant_phone_sealed = vault.seal(phone)
        self.applicant_phone_digest = vault.digest(phone)
        self.payload_sealed = vault.seal_json(submission)
        self.payload_fingerprint = submission_fingerprint(vault, submission)

    def applicant_id_number(self, vault: PiiVault) -> str:
        return vault.open(self.applicant_id_number_sealed)

    def applicant_phone(self, vault: PiiVault) -> str:
        return vault.open(self.applicant_phone_sealed)

    def submission(self, vault: PiiVault) -> dict[str, Any]:
        """The stored submission: the intake body plus `submitted_by` (the clerk)."""
        opened = vault.open_json(self.payload_sealed)
        return opened if isinstance(opened, dict) else {}


def submission_fingerprint(vault: PiiVault, submission: dict[str, Any]) -> str:
    """Identity of the submitted content, not of the clerk who keyed it in (a colleague's
    resubmission at the same window is the same application). Keyed (HMAC): a plain hash of a
    submission could be matched by trying candidate ID numbers."""
    content = {k: v for k, v in submission.items() if k != "submitted_by"}
    return vault.digest(json.dumps(content, sort_keys=True, ensure_ascii=False))
