"""The login lockout under concurrent attempts (issue 16, item 5): forty wrong passwords for one
account at once must not get more password checks than the limit allows. Runs on SQLite and
(make test-postgres) PostgreSQL, where the attempts really run side by side."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import services.login_guard as login_guard
from api.errors import ApiError
from domain.staff import Role
from infra.db import make_session_factory
from infra.models import AuditEntry, LoginState, Staff
from infra.passwords import hash_password, verify_password
from infra.seed import seed_regions
from services.audit import AuditTrail, RequestContext
from services.login_guard import LoginGuard, LoginPolicy

pytestmark = pytest.mark.db

PASSWORD = "right-password-2026"
LIMIT = 5
ATTEMPTS = 40


class CountingChecks:
    """Stands in for the password check, counting how often it runs (a wrong guess is a check)."""

    def __init__(self, real: Callable[[str, str], bool]) -> None:
        self.count = 0
        self._real = real

    def __call__(self, password: str, stored: str) -> bool:
        self.count += 1
        return self._real(password, stored)


async def test_forty_parallel_wrong_passwords_get_at_most_five_password_checks(
    migrated: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = make_session_factory(migrated)
    await seed_regions(sessions)
    async with sessions.begin() as session:
        session.add(
            Staff(
                username="race_target",
                display_name="测试人员",
                password_hash=hash_password(PASSWORD),
                role=Role.INTAKE_CLERK.value,
                region_code="440105001",
                active=True,
            )
        )
    checks = CountingChecks(verify_password)
    monkeypatch.setattr(login_guard, "verify_password", checks)
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    ticks = itertools.count()

    def clock() -> datetime:
        return start + timedelta(milliseconds=next(ticks))

    policy = LoginPolicy(LIMIT, timedelta(minutes=15), timedelta(minutes=15), ip_max_failures=10_000)

    async def attempt(n: int) -> int:
        # One guard per request, as the API builds them, each from its own address.
        trail = AuditTrail(sessions, clock, RequestContext(f"2001:db8::{n + 1:x}", "pytest"))
        try:
            await LoginGuard(sessions, policy, clock, trail).authenticate("race_target", f"guess-{n}")
        except ApiError as refusal:
            return refusal.status_code
        return 200

    statuses = await asyncio.gather(*(attempt(n) for n in range(ATTEMPTS)))

    assert checks.count <= LIMIT, f"{checks.count} password checks for a limit of {LIMIT}"
    assert 200 not in statuses
    assert statuses.count(401) <= LIMIT - 1 and statuses.count(423) >= ATTEMPTS - LIMIT + 1
    async with sessions() as session:
        state = await session.get(LoginState, "race_target")
        assert state is not None and state.locked_until is not None  # the account ends up locked
        actions = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.actor_username == "race_target"))
        )
    # Every attempt is in the audit log, and the lock is recorded once.
    assert actions.count("login.failed") + actions.count("login.refused") == ATTEMPTS
    assert actions.count("login.locked") == 1
    # The right password is refused too while the lock runs (and costs no check).
    before = checks.count
    trail = AuditTrail(sessions, clock, RequestContext("2001:db8::ffff", "pytest"))
    with pytest.raises(ApiError) as refused:
        await LoginGuard(sessions, policy, clock, trail).authenticate("race_target", PASSWORD)
    assert refused.value.status_code == 423 and checks.count == before
