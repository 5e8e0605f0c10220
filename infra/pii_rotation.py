"""Key rotation for personal data at rest (`python -m infra.pii rotate`).

Every sealed column of the database is listed once in SEALED_TABLES, with the digests derived from
it. Rotation opens each value (with whichever configured key it names), re-seals it with the
active key when it names another one, and recomputes the digests with the current hash key. It is
idempotent: a second run finds nothing to change and writes nothing. Rows are handled a page at a
time, each page in its own transaction, so it can run beside the API and the worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_engine
from infra.models import (
    Application,
    OnlineApplication,
    PayeeAccount,
    PaymentBatch,
    PortalUpload,
    PublicObjection,
    PublicObjectionEvidence,
)
from infra.models.core import submission_fingerprint
from infra.pii import PiiVault

# (vault, the row's opened values by sealed column; empty columns absent) → digest column → value
Digests = Callable[[PiiVault, Mapping[str, str]], dict[str, str]]


@dataclass(frozen=True)
class SealedTable:
    table: Table
    sealed: tuple[str, ...]  # sealed columns (empty values are left alone)
    derived: tuple[str, ...]  # columns `digests` computes from the opened values
    digests: Digests
    page: int = 200  # rows a transaction (a page of 5 MB photos is smaller)


def _application_digests(vault: PiiVault, opened: Mapping[str, str]) -> dict[str, str]:
    submission = json.loads(opened["payload_sealed"])
    return {
        "applicant_id_number_digest": vault.digest(opened["applicant_id_number_sealed"]),
        "applicant_phone_digest": vault.digest(opened["applicant_phone_sealed"]),
        "payload_fingerprint": submission_fingerprint(
            vault, submission if isinstance(submission, dict) else {}
        ),
    }


def _account_digest(vault: PiiVault, opened: Mapping[str, str]) -> dict[str, str]:
    return {"account_digest": vault.digest(opened["account_sealed"])} if "account_sealed" in opened else {}


def _online_digests(vault: PiiVault, opened: Mapping[str, str]) -> dict[str, str]:
    submission = json.loads(opened["payload_sealed"])
    applicant = submission.get("applicant") or {} if isinstance(submission, dict) else {}
    return {
        "applicant_id_number_digest": vault.digest(str(applicant.get("id_number") or "")),
        "applicant_phone_digest": vault.digest(str(applicant.get("phone") or "")),
    }


def _objection_digests(vault: PiiVault, opened: Mapping[str, str]) -> dict[str, str]:
    return {"phone_digest": vault.digest(opened["phone_sealed"])} if "phone_sealed" in opened else {}


def _no_digests(vault: PiiVault, opened: Mapping[str, str]) -> dict[str, str]:
    return {}


# Every table with a sealed column is listed here: a new one must be added, or rotation misses it.
SEALED_TABLES: tuple[SealedTable, ...] = (
    SealedTable(
        Application.__table__,  # type: ignore[arg-type]
        ("applicant_id_number_sealed", "applicant_phone_sealed", "payload_sealed"),
        ("applicant_id_number_digest", "applicant_phone_digest", "payload_fingerprint"),
        _application_digests,
    ),
    # The households' bank accounts (社会化发放).
    SealedTable(PayeeAccount.__table__, ("account_sealed",), ("account_digest",), _account_digest),  # type: ignore[arg-type]
    # The 代发 files as sent: re-sealing changes the ciphertext, never the file the bank sees.
    SealedTable(PaymentBatch.__table__, ("file_sealed",), (), _no_digests),  # type: ignore[arg-type]
    # The portal's online applications (the digests are what the portal matches a session to).
    SealedTable(
        OnlineApplication.__table__,  # type: ignore[arg-type]
        ("payload_sealed",),
        ("applicant_id_number_digest", "applicant_phone_digest"),
        _online_digests,
    ),
    # Their uploaded photos and PDFs (binary sealed values), a few at a time.
    SealedTable(PortalUpload.__table__, ("content_sealed",), (), _no_digests, page=5),  # type: ignore[arg-type]
    # Objections from the public publicity page (the phone's digest counts them per number), and
    # their evidence files (base64, sealed), a few at a time.
    SealedTable(
        PublicObjection.__table__,  # type: ignore[arg-type]
        ("text_sealed", "phone_sealed"),
        ("phone_digest",),
        _objection_digests,
    ),
    SealedTable(PublicObjectionEvidence.__table__, ("content_sealed",), (), _no_digests, page=5),  # type: ignore[arg-type]
)

# Digests that cannot be recomputed, since their plain values are never stored, and need not be:
# SMS codes and their numbers' one-a-minute gates live minutes (pruned after a day). After a
# hash-key change a code sent before it no longer verifies; the applicant asks for a new one.
EPHEMERAL_DIGESTS: frozenset[tuple[str, str]] = frozenset(
    {("phone_codes", "phone_digest"), ("phone_codes", "code_digest"), ("phone_code_gates", "phone_digest")}
)


@dataclass
class RotationReport:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows read
    resealed: dict[str, int] = field(default_factory=dict)  # table → values re-sealed
    digests: dict[str, int] = field(default_factory=dict)  # table → digests recomputed

    def summary(self) -> str:
        return "; ".join(
            f"{t}: {self.rows[t]} rows, {self.resealed.get(t, 0)} values re-sealed, "
            f"{self.digests.get(t, 0)} digests updated"
            for t in self.rows
        )


async def rotate(
    engine: AsyncEngine, vault: PiiVault, tables: tuple[SealedTable, ...] = SEALED_TABLES
) -> RotationReport:
    report = RotationReport()
    for spec in tables:
        name = spec.table.name
        report.rows[name] = report.resealed[name] = report.digests[name] = 0
        [key] = spec.table.primary_key.columns
        columns = [key, *(spec.table.c[c] for c in (*spec.sealed, *spec.derived))]
        last: Any = None
        while True:
            query = select(*columns).order_by(key).limit(spec.page)
            if last is not None:
                query = query.where(key > last)
            async with engine.begin() as connection:
                page = (await connection.execute(query)).mappings().all()
                for row in page:
                    changes = _changes(spec, vault, row, report)
                    if changes:
                        await connection.execute(
                            update(spec.table).where(key == row[key.name]).values(**changes)
                        )
            report.rows[name] += len(page)
            if len(page) < spec.page:
                break
            last = page[-1][key.name]
    return report


def _changes(spec: SealedTable, vault: PiiVault, row: RowMapping, report: RotationReport) -> dict[str, Any]:
    name = spec.table.name
    changes: dict[str, Any] = {}
    opened: dict[str, str] = {}
    for column in spec.sealed:
        value = row[column]
        if not value:
            continue
        if isinstance(value, bytes):  # a sealed file: re-sealed, never a digest's source
            if vault.key_id_of_bytes(value) != vault.active_key_id:
                changes[column] = vault.seal_bytes(vault.open_bytes(value))
                report.resealed[name] += 1
            continue
        opened[column] = vault.open(value)
        if vault.key_id_of(value) != vault.active_key_id:
            changes[column] = vault.seal(opened[column])
            report.resealed[name] += 1
    for column, value in spec.digests(vault, opened).items():
        if row[column] != value:
            changes[column] = value
            report.digests[name] += 1
    if changes and "updated_at" in spec.table.c:
        # Re-encryption is not a change of the case: keep its last-modified time.
        changes["updated_at"] = spec.table.c.updated_at
    return changes


async def rotate_database(database_url: str, vault: PiiVault) -> RotationReport:
    engine = make_engine(database_url)
    try:
        return await rotate(engine, vault)
    finally:
        await engine.dispose()
