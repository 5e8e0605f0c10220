"""The quarterly re-check's rows, written a group of households at a time in one transaction
instead of one transaction per row: its checks (精准识别率's denominator), its warnings (预警清单)
and the households listed for a person. Each table's unique key makes a retry's rows no-ops
(INSERT … ON CONFLICT DO NOTHING), as the one-row inserts' IntegrityError did."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.db import conflict_insert
from infra.models import QuarterlyCheck, RecheckFailure, RiskWarningRow

Row = dict[str, Any]


@dataclass
class PendingRows:
    checks: list[Row] = field(default_factory=list)
    warnings: list[Row] = field(default_factory=list)
    failures: list[Row] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.checks or self.warnings or self.failures)


async def _insert_new(session: AsyncSession, model: Any, rows: list[Row]) -> int:
    """Insert the rows whose unique key is not taken yet; returns how many were new."""
    if not rows:
        return 0
    stmt = conflict_insert(session, model).on_conflict_do_nothing()
    # RETURNING names only the rows inserted: the count of new ones on either database.
    return len((await session.execute(stmt.returning(model.id), rows)).all())


class Writer:
    """Writes a batch's pending rows. On SQLite one batch of this worker writes at a time: SQLite
    takes one writer, and batches committing together made the others sleep in its busy handler
    (up to 100 ms a try) while the lock holder waited for the event loop between statements."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._one_at_a_time: asyncio.Lock | None = None

    async def write(self, pending: PendingRows) -> int:
        """Everything pending in one transaction, then cleared; returns the number of new warnings."""
        if not pending:
            return 0
        bind = self._sessions.kw.get("bind")
        if self._one_at_a_time is None and getattr(getattr(bind, "dialect", None), "name", "") == "sqlite":
            self._one_at_a_time = asyncio.Lock()
        if self._one_at_a_time is None:
            return await write(self._sessions, pending)
        async with self._one_at_a_time:
            return await write(self._sessions, pending)


async def write(sessions: async_sessionmaker[AsyncSession], pending: PendingRows) -> int:
    """Everything pending in one transaction, then cleared; returns the number of new warnings."""
    if not pending:
        return 0
    async with sessions.begin() as session:
        new_warnings = await _insert_new(session, RiskWarningRow, pending.warnings)
        await _insert_new(session, QuarterlyCheck, pending.checks)
        await _insert_new(session, RecheckFailure, pending.failures)
    pending.checks, pending.warnings, pending.failures = [], [], []
    return new_warnings
