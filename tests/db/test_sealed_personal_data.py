"""Personal data at rest, on SQLite and (CI's second pass) PostgreSQL: migration 0004 converts rows
written before it, the downgrade restores them, and key rotation re-seals everything, once."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_session_factory
from infra.migrate import downgrade, upgrade
from infra.models import Application, PayeeAccount
from infra.models.core import submission_fingerprint
from infra.pii import PiiVault
from infra.pii_rotation import rotate
from infra.seed import seed_demo
from infra.settings import REPO_ROOT
from tests.factories import application_payload, id_number, pii_vault

pytestmark = pytest.mark.db

OLD_SCHEMA = sa.table(
    "applications",
    *(sa.column(c) for c in ("application_number", "workflow_id", "assistance_type", "channel")),
    *(sa.column(c) for c in ("county_code", "township_code", "community_code", "applicant_name")),
    *(sa.column(c) for c in ("applicant_id_number", "applicant_phone", "household_size", "green_channel")),
    sa.column("payload", sa.JSON),
    *(sa.column(c) for c in ("payload_fingerprint", "stage", "accepted_at")),
)
REGIONS = sa.table(
    "regions", sa.column("code"), sa.column("name"), sa.column("level"), sa.column("parent_code")
)


async def _all_text(engine: AsyncEngine) -> str:
    """Every value of every application row, as text: what someone reading the table sees."""
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT * FROM applications"))).all()
    return json.dumps([[str(v) for v in row] for row in rows], ensure_ascii=False)


async def test_a_row_written_before_0004_is_sealed_by_it_and_reads_the_same(
    migrated: AsyncEngine, db_url: str
) -> None:
    await asyncio.to_thread(downgrade, db_url, "0003")
    body = application_payload("440105-OLD-0001")
    applicant = body["applicant"]
    submission = {**body, "submitted_by": {"username": "clerk_chigang", "role": "intake_clerk"}}
    # What intake stored before 0004: clear columns, the JSON payload, an unkeyed SHA-256.
    old_fingerprint = hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    async with migrated.begin() as connection:
        await connection.execute(
            REGIONS.insert(),
            [
                {"code": "440105", "name": "海珠区", "level": "county", "parent_code": None},
                {"code": "440105001", "name": "赤岗街道", "level": "township", "parent_code": "440105"},
                {"code": "440105001001", "name": "社区", "level": "community", "parent_code": "440105001"},
            ],
        )
        await connection.execute(
            OLD_SCHEMA.insert().values(
                application_number="440105-OLD-0001", workflow_id="application-440105-OLD-0001",
                assistance_type="dibao", channel="walk_in", county_code="440105", township_code="440105001",
                community_code="440105001001", applicant_name=applicant["name"],
                applicant_id_number=applicant["id_number"], applicant_phone=applicant["phone"],
                household_size=2, green_channel=False, payload=submission, payload_fingerprint=old_fingerprint,
                stage="verification", accepted_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
            )
        )  # fmt: skip

    await asyncio.to_thread(upgrade, db_url)

    vault = pii_vault()
    sessions = make_session_factory(migrated)
    async with sessions() as session:
        row = await session.scalar(
            sa.select(Application).where(
                Application.applicant_id_number_digest == vault.digest(applicant["id_number"])
            )
        )
    assert row is not None and row.application_number == "440105-OLD-0001"
    assert row.applicant_id_number(vault) == applicant["id_number"]
    assert row.applicant_phone(vault) == applicant["phone"]
    assert row.submission(vault) == submission
    assert row.applicant_phone_digest == vault.digest(applicant["phone"])
    # The resubmission check keeps working, now with a keyed fingerprint of the same content.
    assert row.payload_fingerprint == submission_fingerprint(vault, body) != old_fingerprint
    stored = await _all_text(migrated)
    for secret in (applicant["id_number"], applicant["phone"], *(m["id_number"] for m in body["members"])):
        assert secret not in stored

    # And back: the downgrade restores the clear columns exactly.
    await asyncio.to_thread(downgrade, db_url, "0003")
    async with migrated.connect() as connection:
        restored = (
            await connection.execute(
                sa.select(OLD_SCHEMA).where(OLD_SCHEMA.c.application_number == "440105-OLD-0001")
            )
        ).one()
    assert (
        restored.applicant_id_number == applicant["id_number"]
        and restored.applicant_phone == applicant["phone"]
    )
    assert restored.payload == submission and restored.payload_fingerprint == old_fingerprint
    await asyncio.to_thread(upgrade, db_url)


@pytest_asyncio.fixture
async def scratch(migrated: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The migrated database, emptied of applications afterwards: rows sealed with a test's own
    keys could not be opened by the next test's downgrade (PostgreSQL keeps one database)."""
    try:
        yield migrated
    finally:
        async with migrated.begin() as connection:
            await connection.execute(sa.delete(PayeeAccount))
            await connection.execute(sa.delete(Application))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


async def _store(engine: AsyncEngine, vault: PiiVault, n: int) -> list[dict[str, Any]]:
    sessions = make_session_factory(engine)
    await seed_demo(sessions)
    bodies = []
    async with sessions.begin() as session:
        for i in range(n):
            number = f"440105-ROT-{i:04d}"
            body = application_payload(number)
            body["applicant"]["id_number"] = body["members"][0]["id_number"] = id_number(seq=500 + i)
            row = Application(
                application_number=number, workflow_id=f"application-{number}", assistance_type="dibao",
                channel="walk_in", county_code="440105", township_code="440105001", community_code="440105001001",
                applicant_name="张小明", household_size=2, green_channel=False, stage="intake",
                accepted_at=datetime(2026, 3, 2, tzinfo=UTC),
            )  # fmt: skip
            row.seal_personal_data(
                vault,
                id_number=body["applicant"]["id_number"],
                phone=body["applicant"]["phone"],
                submission=body,
            )
            session.add(row)
            bodies.append(body)
    return bodies


async def _snapshot(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    columns = [
        c
        for c in Application.__table__.c
        if c.name.endswith(("_sealed", "_digest", "fingerprint", "updated_at"))
    ]
    async with engine.connect() as connection:
        return [
            tuple(r) for r in (await connection.execute(sa.select(*columns).order_by(Application.id))).all()
        ]


async def test_rotation_reseals_with_the_active_key_refreshes_digests_and_is_idempotent(
    scratch: AsyncEngine,
) -> None:
    migrated = scratch
    old_key, new_key, old_hash, new_hash = (os.urandom(32) for _ in range(4))
    bodies = await _store(migrated, PiiVault({"2026": old_key}, "2026", old_hash), 3)
    account = "6222020200112233445"
    async with make_session_factory(migrated).begin() as session:
        old = PiiVault({"2026": old_key}, "2026", old_hash)
        session.add(
            PayeeAccount(
                application_number=bodies[0]["application_number"], account_holder="张小明",
                account_sealed=old.seal(account), account_digest=old.digest(account), account_last4="3445",
                bank_name="农商银行", updated_by="finance_haizhu", updated_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )  # fmt: skip
    before = await _snapshot(migrated)

    # New active key and new hash key; the old key is still configured to read what exists.
    rotating = PiiVault({"2026": old_key, "2027": new_key}, "2027", new_hash)
    report = await rotate(migrated, rotating)
    assert report.rows["applications"] == 3
    assert report.resealed["applications"] == 9 and report.digests["applications"] == 9
    after = await _snapshot(migrated)
    assert [r[-1] for r in after] == [r[-1] for r in before]  # updated_at: a re-encryption is no case change

    # Everything now opens without the old key, and lookups use the new hash key.
    new_only = PiiVault({"2027": new_key}, "2027", new_hash)
    async with make_session_factory(migrated)() as session:
        for body in bodies:
            row = await session.scalar(
                sa.select(Application).where(
                    Application.applicant_id_number_digest == new_only.digest(body["applicant"]["id_number"])
                )
            )
            assert row is not None and row.application_number == body["application_number"]
            assert row.applicant_phone(new_only) == body["applicant"]["phone"]
            assert row.submission(new_only) == body
            assert row.payload_fingerprint == submission_fingerprint(new_only, body)

        payee = await session.get(PayeeAccount, bodies[0]["application_number"])
        assert payee is not None and new_only.open(payee.account_sealed) == account
        assert payee.account_digest == new_only.digest(account)
    assert report.resealed["payee_accounts"] == 1 and report.digests["payee_accounts"] == 1

    again = await rotate(migrated, rotating)
    assert sum(again.resealed.values()) == 0 and sum(again.digests.values()) == 0
    assert await _snapshot(migrated) == after  # nothing rewritten


async def test_the_rotate_command_uses_the_configured_keys(scratch: AsyncEngine, db_url: str) -> None:
    migrated = scratch
    old_key, new_key, hash_key = os.urandom(32), os.urandom(32), os.urandom(32)
    [body] = await _store(migrated, PiiVault({"a": old_key}, "a", hash_key), 1)
    env = {
        **os.environ,
        "PII_KEYS": json.dumps({"a": _b64(old_key), "b": _b64(new_key)}),
        "PII_ACTIVE_KEY": "b",
        "PII_HASH_KEY": _b64(hash_key),
    }
    command = [sys.executable, "-m", "infra.pii", "rotate", "--database-url", db_url]
    first, second = [
        await asyncio.to_thread(
            subprocess.run, command, env=env, cwd=REPO_ROOT, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert first.returncode == 0, first.stderr
    assert "applications: 1 rows, 3 values re-sealed, 0 digests updated" in first.stdout
    assert "applications: 1 rows, 0 values re-sealed, 0 digests updated" in second.stdout
    async with make_session_factory(migrated)() as session:
        row = await session.scalar(sa.select(Application))
    assert row is not None
    assert row.applicant_id_number(PiiVault({"b": new_key}, "b", hash_key)) == body["applicant"]["id_number"]
    assert body["applicant"]["id_number"] not in first.stdout + first.stderr
