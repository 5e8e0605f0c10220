"""The portal's sealed rows (issue 14): an online application's submission and its uploaded files
are re-sealed by key rotation like every other sealed column, and the digests the portal matches a
session to are recomputed with the new hash key (else a rotated hash key would hide every online
application from its own applicant). Runs on SQLite and PostgreSQL (marker db)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_session_factory
from infra.models import OnlineApplication, PortalUpload
from infra.pii import PiiVault
from infra.pii_rotation import rotate
from infra.seed import seed_regions

pytestmark = pytest.mark.db

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(3000)


async def test_rotation_reseals_online_applications_and_their_files(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_regions(sessions)
    old_key, new_key, old_hash, new_hash = (os.urandom(32) for _ in range(4))
    old = PiiVault({"a": old_key}, "a", old_hash)
    payload = {"applicant": {"name": "王秀兰", "id_number": "440105198001010012", "phone": "15912345678"}}
    async with sessions.begin() as session:
        row = OnlineApplication(
            reference="WS20261201AAAA0001", submit_key="k" * 64, assistance_type="dibao",
            county_code="440105", township_code="440105001", community_code="440105001001",
            applicant_name="王秀兰", household_size=1,
            applicant_phone_digest=old.digest("15912345678"),
            applicant_id_number_digest=old.digest("440105198001010012"),
            payload_sealed=old.seal_json(payload), status="submitted", missing=[], return_note="",
            submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
        )  # fmt: skip
        session.add(row)
        await session.flush()
        session.add(
            PortalUpload(
                token="t" * 24, online_application_id=row.id, material="身份证明", content_type="image/jpeg",
                size=len(PHOTO), sha256=hashlib.sha256(PHOTO).hexdigest(), content_sealed=old.seal_bytes(PHOTO),
                uploaded_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )  # fmt: skip

    report = await rotate(migrated, PiiVault({"a": old_key, "b": new_key}, "b", new_hash))
    assert report.resealed["online_applications"] == 1 and report.digests["online_applications"] == 2
    assert report.resealed["portal_uploads"] == 1

    new_only = PiiVault({"b": new_key}, "b", new_hash)
    async with sessions() as session:
        online = await session.scalar(select(OnlineApplication))
        upload = await session.scalar(select(PortalUpload))
    assert online is not None and upload is not None
    assert new_only.open_json(online.payload_sealed) == payload
    assert online.applicant_phone_digest == new_only.digest("15912345678")
    assert online.applicant_id_number_digest == new_only.digest("440105198001010012")
    assert new_only.open_bytes(upload.content_sealed) == PHOTO
    again = await rotate(migrated, new_only)
    assert again.resealed["portal_uploads"] == 0 and again.digests["online_applications"] == 0
