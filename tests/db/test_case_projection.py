"""A case's projected status (what the case read serves) is the newest the workflow sent, whatever
order its writes land in; the case read's backfill of a live answer never replaces one of those."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.application import ApplicationStatus, LimitView, StatusProjection
from domain.enums import AssistanceType, Stage
from infra.case_projection import backfill_projection, read_projection, write_projection
from infra.db import make_engine, make_session_factory

pytestmark = pytest.mark.db

NUMBER = "440105-PRJ0001"
AT = datetime(2026, 12, 1, 2, tzinfo=UTC)


def status(stage: Stage, proposed: int | None = None) -> ApplicationStatus:
    limit = LimitView("whole_process", "全流程", AT, "2027-01-13", False, False, False, True)
    return ApplicationStatus(
        NUMBER, stage, AssistanceType.DIBAO, False, limits=[limit], missing_materials=["户口簿"],
        proposed_amount_fen=proposed,
    )  # fmt: skip


async def test_a_late_older_projection_does_not_replace_a_newer_one(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    newer = status(Stage.PUBLICITY, proposed=291_000)
    async with sessions.begin() as session:
        await write_projection(session, NUMBER, StatusProjection(5, newer), AT)
    async with sessions.begin() as session:  # an earlier activity's retry, landing late
        await write_projection(session, NUMBER, StatusProjection(4, status(Stage.DEMOCRATIC_REVIEW)), AT)
    async with sessions() as session:
        assert await read_projection(session, NUMBER) == newer
    approval = status(Stage.APPROVAL, proposed=291_000)
    async with sessions.begin() as session:
        await write_projection(session, NUMBER, StatusProjection(6, approval), AT)
    async with sessions() as session:
        assert await read_projection(session, NUMBER) == approval


async def test_a_backfill_fills_a_gap_and_never_replaces_the_workflows_own(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    async with sessions() as session:
        assert await read_projection(session, NUMBER) is None
    live = status(Stage.VERIFICATION)
    async with sessions.begin() as session:
        await backfill_projection(session, NUMBER, live, AT)
    async with sessions() as session:
        assert await read_projection(session, NUMBER) == live
    own = status(Stage.DEMOCRATIC_REVIEW)
    async with sessions.begin() as session:
        await write_projection(session, NUMBER, StatusProjection(1, own), AT)
        await backfill_projection(session, NUMBER, live, AT)  # a read racing the workflow's write
    async with sessions() as session:
        assert await read_projection(session, NUMBER) == own


def test_a_pool_size_is_the_whole_pool(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", pool_size=2)
    assert engine.pool.size() == 2  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
