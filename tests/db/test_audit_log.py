"""The audit log in the database itself: append-only by trigger, and a hash chain that shows the
first changed or removed row. Runs on SQLite and (make test-postgres) PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.db import make_session_factory
from infra.models import AuditEntry, AuditHead
from services.audit_chain import append, verify_chain

pytestmark = pytest.mark.db


def _clock() -> Iterator[datetime]:
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    for n in range(10_000):
        yield start + timedelta(seconds=n)


def _entry(n: int) -> dict[str, Any]:
    return {
        "actor_username": "approver_haizhu",
        "actor_role": "county_approver",
        "actor_region": "440105",
        "action": "task.complete",
        "target_type": "task",
        "target_id": f"440105-AUDIT-{n:04d}-T01",
        "application_number": f"440105-AUDIT-{n:04d}",
        "county_code": "440105",
        "region_code": "440105001",
        "client_ip": "127.0.0.1",
        "user_agent": "pytest",
        "outcome": "ok",
        "status_code": 200,
        "detail": {"outcome": "approve", "stage": "enrolled", "seq": n},
    }


async def _append(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    ticks = _clock()
    for n in range(1, count + 1):
        await append(sessions, lambda: next(ticks), _entry(n))


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, str, dict[str, Any]]]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.id, r.action, r.detail) for r in rows]


async def _refused(engine: AsyncEngine, statement: str) -> str:
    with pytest.raises(DBAPIError) as raised:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    return str(raised.value)


async def test_the_database_refuses_to_update_or_delete_audit_entries(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await _append(sessions, 2)
    before = await _rows(sessions)

    assert "append-only" in await _refused(migrated, "UPDATE audit_log SET action = 'tampered' WHERE id = 1")
    assert "append-only" in await _refused(migrated, "UPDATE audit_log SET detail = '{}'")
    assert "append-only" in await _refused(migrated, "DELETE FROM audit_log WHERE id = 2")
    assert "append-only" in await _refused(migrated, "DELETE FROM audit_log")
    if migrated.dialect.name == "postgresql":
        assert "append-only" in await _refused(migrated, "TRUNCATE audit_log")
    # Nor can the head that numbers the entries be removed (it would restart the chain).
    await _refused(migrated, "DELETE FROM audit_head")

    assert await _rows(sessions) == before
    report = await verify_chain(sessions)
    assert report.intact and report.checked == 2 and report.head_seq == 2


async def test_verification_names_the_first_changed_row(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await _append(sessions, 5)
    assert (await verify_chain(sessions)).intact

    # Someone with the database owner's rights switches the trigger off and edits row 3.
    async with migrated.begin() as connection:
        if migrated.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
        else:
            await connection.execute(text("DROP TRIGGER audit_log_no_update"))
        await connection.execute(text("UPDATE audit_log SET status_code = 403 WHERE id = 3"))

    report = await verify_chain(sessions)
    assert not report.intact
    assert report.first_broken_id == 3
    assert report.problem and "被改动" in report.problem
    assert report.checked == 2  # rows 1 and 2 still check out


async def test_verification_notices_rows_removed_in_the_middle_or_at_the_end(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await _append(sessions, 5)
    async with migrated.begin() as connection:
        if migrated.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
        else:
            await connection.execute(text("DROP TRIGGER audit_log_no_delete"))
        await connection.execute(text("DELETE FROM audit_log WHERE id = 5"))
    report = await verify_chain(sessions)
    assert not report.intact and report.first_broken_id == 5 and report.problem and "缺失" in report.problem

    async with migrated.begin() as connection:
        await connection.execute(text("DELETE FROM audit_log WHERE id = 2"))
    report = await verify_chain(sessions)
    assert not report.intact and report.first_broken_id == 2


async def test_concurrent_appends_form_one_gapless_chain(migrated: AsyncEngine) -> None:
    """Several writers at once (as several API instances would be): no fork, no gap, no loss."""
    sessions = make_session_factory(migrated)
    ticks = _clock()
    await asyncio.gather(*(append(sessions, lambda: next(ticks), _entry(n)) for n in range(1, 21)))

    rows = await _rows(sessions)
    assert [r[0] for r in rows] == list(range(1, 21))
    assert sorted(r[2]["seq"] for r in rows) == list(range(1, 21))
    report = await verify_chain(sessions)
    assert report.intact and report.checked == 20
    async with sessions() as session:
        head = await session.get(AuditHead, 1)
        last = await session.get(AuditEntry, 20)
    assert head is not None and last is not None and head.seq == 20 and head.last_hash == last.hash
