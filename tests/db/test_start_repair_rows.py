"""applications.workflow_pending (migration 0013) and the rows the start repair picks (issue 12,
item 4), on SQLite and (CI's second pass) PostgreSQL. The workflow side runs on the real dev server
in tests/e2e/test_start_repair.py; here a recording stand-in for the Temporal client shows which
cases a pass starts and that it marks them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.case_start import repair_unstarted
from infra.db import make_session_factory
from infra.migrate import downgrade, upgrade
from infra.models import Application
from infra.seed import seed_demo
from tests.factories import pii_vault, store_application

pytestmark = pytest.mark.db


@dataclass
class RecordingClient:
    """Answers start_workflow like a reachable server; records the workflow ids it was asked for."""

    started: list[str] = field(default_factory=list)

    async def start_workflow(self, *args: Any, id: str, **kwargs: Any) -> None:
        self.started.append(id)


async def _pending(engine: AsyncEngine) -> dict[str, bool]:
    async with make_session_factory(engine)() as session:
        rows = await session.execute(select(Application.application_number, Application.workflow_pending))
    return {number: pending for number, pending in rows}


async def test_migration_leaves_the_cases_still_at_intake_for_the_repair_to_confirm(
    migrated: AsyncEngine, db_url: str
) -> None:
    sessions = make_session_factory(migrated)
    await seed_demo(sessions)
    accepted = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    await store_application(sessions, "440105-MIG-0001", accepted, stage="verification")
    await store_application(sessions, "440105-MIG-0002", accepted, stage="intake")
    # Back to before the column, then forward again: what an existing installation goes through.
    await asyncio.to_thread(downgrade, db_url, "0010")
    await asyncio.to_thread(upgrade, db_url)
    # At intake: maybe never started (it used to wait for a resubmission). Past intake: running.
    assert await _pending(migrated) == {"440105-MIG-0001": False, "440105-MIG-0002": True}


async def test_a_pass_starts_only_the_pending_cases_and_clears_them(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_demo(sessions)
    now = datetime.now(UTC)
    old = now - timedelta(minutes=5)
    await store_application(sessions, "440105-REP-0001", old, workflow_pending=True)  # saved in an outage
    await store_application(sessions, "440105-REP-0002", old)  # started (or written by an import)
    await store_application(sessions, "440105-REP-0003", now, workflow_pending=True)  # being started now
    client = RecordingClient()

    first = await repair_unstarted(client, "tq", sessions, pii_vault(), grace=timedelta(seconds=30))  # type: ignore[arg-type]
    assert first.started == ["440105-REP-0001"] and client.started == ["application-440105-REP-0001"]
    assert await _pending(migrated) == {
        "440105-REP-0001": False,
        "440105-REP-0002": False,
        "440105-REP-0003": True,  # its own intake is still within the grace period
    }

    # The next pass finds nothing left to start.
    second = await repair_unstarted(client, "tq", sessions, pii_vault(), grace=timedelta(seconds=30))  # type: ignore[arg-type]
    assert second.started == [] and client.started == ["application-440105-REP-0001"]
