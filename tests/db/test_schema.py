"""Migrations and data access, on SQLite and (CI's second pass) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import make_session_factory
from infra.migrate import downgrade, upgrade
from infra.models import Application, Base, Region
from infra.seed import DEMO_REGIONS, DEMO_VILLAGES, seed_demo
from tests.factories import store_application

pytestmark = pytest.mark.db


def _diff(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_migrations_produce_exactly_the_orm_schema(migrated: AsyncEngine) -> None:
    async with migrated.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_downgrade_to_base_and_upgrade_again(migrated: AsyncEngine, db_url: str) -> None:
    await asyncio.to_thread(downgrade, db_url, "base")
    async with migrated.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert "applications" not in tables and "regions" not in tables
    await asyncio.to_thread(upgrade, db_url)
    async with migrated.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert {"applications", "regions"} <= set(tables)


async def test_seed_is_idempotent_and_builds_the_region_tree(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_demo(sessions)
    await seed_demo(sessions)
    async with sessions() as session:
        regions = list(await session.scalars(select(Region)))
    assert len(regions) == len(DEMO_REGIONS) + len(DEMO_VILLAGES)
    by_code = {r.code: r for r in regions}
    assert by_code["440105001001"].parent_code == "440105001"
    assert by_code["440105001"].parent_code == "440105"
    # Each demo township has an urban community and a rural village (the statistics' split).
    for township in ("440105001", "440105002", "440106001"):
        kinds = {r.urban_rural for r in regions if r.parent_code == township}
        assert kinds == {"urban", "rural"}, township
    assert by_code["440105"].urban_rural is None


async def test_application_number_is_unique(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_demo(sessions)
    accepted = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    await store_application(sessions, "440105-UNIQ-0001", accepted)
    with pytest.raises(IntegrityError):
        await store_application(sessions, "440105-UNIQ-0001", accepted, workflow_id="application-other")
    async with sessions() as session:
        rows = list(await session.scalars(select(Application)))
    assert [r.application_number for r in rows] == ["440105-UNIQ-0001"]
    stored = rows[0].accepted_at
    assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == accepted


async def test_application_must_reference_known_regions(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_demo(sessions)
    with pytest.raises(IntegrityError):
        await store_application(
            sessions, "440105-FK-0001", datetime(2026, 3, 2, tzinfo=UTC), community_code="999999999999"
        )
