"""Creating a staff account twice at once (a double click that beat the button's lock, a client's
retry): with the same idempotency key by the same operator it is one account, and both answers
name it; with another key, or by another operator, the second is "username taken". Runs on SQLite
and PostgreSQL, where the two inserts really race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.models import Staff
from infra.seed import seed_regions
from services.audit import AuditTrail, RequestContext
from services.errors import ApiError
from services.login_guard import LoginGuard, LoginPolicy
from services.staff_admin import NewStaff, StaffAdmin

pytestmark = pytest.mark.db

OPERATOR = Actor("op_race", "运维测试", Role.OPERATOR, "440105")
OTHER = Actor("op_race_2", "运维测试二", Role.OPERATOR, "440105")


def admin_of(engine: AsyncEngine) -> StaffAdmin:
    sessions = make_session_factory(engine)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    trail = AuditTrail(sessions, clock, RequestContext("2001:db8::1", "pytest"))
    policy = LoginPolicy(5, timedelta(minutes=15), timedelta(minutes=15), 100)
    return StaffAdmin(sessions, trail, LoginGuard(sessions, policy, clock, trail), clock)


async def outcome(admin: StaffAdmin, who: Actor, new: NewStaff, key: str) -> str:
    try:
        _, created = await admin.create(who, new, key)
    except ApiError as refusal:
        return refusal.code
    return "created" if created else "replayed"


async def accounts(engine: AsyncEngine, username: str) -> int:
    async with make_session_factory(engine)() as session:
        return int(await session.scalar(select(func.count()).where(Staff.username == username)) or 0)


async def test_a_double_submit_makes_one_account_and_both_answers_name_it(migrated: AsyncEngine) -> None:
    await seed_regions(make_session_factory(migrated))
    admin = admin_of(migrated)
    new = NewStaff("race_clerk", "并发测试", "intake_clerk", "440105001", "Bingfa2027test")
    results = await asyncio.gather(*(outcome(admin, OPERATOR, new, "key-1") for _ in range(2)))
    assert sorted(results) == ["created", "replayed"]
    assert await accounts(migrated, "race_clerk") == 1


async def test_another_key_or_another_operator_is_username_taken(migrated: AsyncEngine) -> None:
    await seed_regions(make_session_factory(migrated))
    admin = admin_of(migrated)
    new = NewStaff("race_clerk2", "并发测试", "intake_clerk", "440105001", "Bingfa2027test")
    results = await asyncio.gather(
        outcome(admin, OPERATOR, new, "key-a"), outcome(admin, OPERATOR, new, "key-b")
    )
    assert sorted(results) == ["created", "username_taken"]
    assert await outcome(admin, OTHER, new, "key-a") == "username_taken"
    assert await accounts(migrated, "race_clerk2") == 1
