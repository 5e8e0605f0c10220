"""The audit log's hash chain: appending an entry and verifying the whole chain.

Each entry's hash covers its content and the previous entry's hash, so changing or removing an
entry breaks every later link; `verify_chain` finds the first break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.models import AuditEntry, AuditHead
from infra.models.audit import GENESIS_HASH

Clock = Callable[[], datetime]


def hashed_content(entry: Mapping[str, Any]) -> str:
    """The canonical text a row's hash covers: every column but the hashes themselves."""
    content = {k: v for k, v in entry.items() if k not in ("hash", "prev_hash")}
    at: datetime = content["at"]
    content["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{hashed_content(entry)}".encode()).hexdigest()


CHAINED_COLUMNS = tuple(c.name for c in AuditEntry.__table__.columns)


def row_content(row: AuditEntry) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CHAINED_COLUMNS}


async def append(sessions: async_sessionmaker[AsyncSession], clock: Clock, entry: dict[str, Any]) -> int:
    """Append one entry. The head row is updated first: that write lock (a row lock on PostgreSQL,
    the database write lock on SQLite) serialises appends, so ids stay gapless and each entry
    chains to the one before it, whichever API instance writes."""
    missing = set(CHAINED_COLUMNS) - {"id", "at", "prev_hash", "hash"} - set(entry)
    if missing:  # a column left to its default would be hashed differently when read back
        raise ValueError(f"audit entry lacks {sorted(missing)}")
    async with sessions.begin() as session:
        seq, prev_hash = (
            await session.execute(
                update(AuditHead)
                .where(AuditHead.id == 1)
                .values(seq=AuditHead.seq + 1)
                .returning(AuditHead.seq, AuditHead.last_hash)
            )
        ).one()
        row = {**entry, "id": seq, "at": clock().astimezone(UTC)}
        digest = entry_hash(prev_hash, row)
        session.add(AuditEntry(**row, prev_hash=prev_hash, hash=digest))
        await session.flush()
        await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=digest))
    return int(seq)


@dataclass
class ChainReport:
    intact: bool
    checked: int
    head_seq: int
    head_hash: str
    first_broken_id: int | None = None
    problem: str | None = None


async def verify_chain(sessions: async_sessionmaker[AsyncSession], batch: int = 1000) -> ChainReport:
    """Recompute the chain from the first row and report the first row that does not fit: a
    changed row (hash mismatch), a removed one (gap in the ids), or removed rows at the end (the
    head no longer matches). The head is read first, so appends during the check do not count."""
    async with sessions() as session:
        head = await session.get(AuditHead, 1)
    if head is None:
        return ChainReport(False, 0, 0, "", None, "审计链头记录缺失")
    report = ChainReport(True, 0, head.seq, head.last_hash)
    prev_hash, expected_id = GENESIS_HASH, 1
    while expected_id <= head.seq:
        async with sessions() as session:
            rows = list(
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.id >= expected_id, AuditEntry.id <= head.seq)
                    .order_by(AuditEntry.id)
                    .limit(batch)
                )
            )
        if not rows:
            break
        for row in rows:
            problem = None
            if row.id != expected_id:
                problem, row_id = f"第 {expected_id} 条记录缺失（被删除）", expected_id
            elif row.prev_hash != prev_hash:
                problem, row_id = f"第 {row.id} 条记录的前序哈希与上一条不符", row.id
            elif entry_hash(prev_hash, row_content(row)) != row.hash:
                problem, row_id = f"第 {row.id} 条记录的内容与其哈希不符（被改动）", row.id
            if problem is not None:
                return _broken(report, row_id, problem)
            prev_hash, expected_id = row.hash, row.id + 1
            report.checked += 1
    if report.checked != head.seq:
        return _broken(report, report.checked + 1, f"第 {report.checked + 1} 条及以后的记录缺失（被删除）")
    if prev_hash != head.last_hash:
        return _broken(report, head.seq, "链头哈希与最后一条记录不符")
    return report


def _broken(report: ChainReport, row_id: int, problem: str) -> ChainReport:
    report.intact, report.first_broken_id, report.problem = False, row_id, problem
    return report
