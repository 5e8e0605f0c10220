"""Login throttling through the API: lockout of a username, limits per client address, and their
audit entries. The API's clock is injected and moved forward instead of sleeping; the counts live
in the (shared, real) database, so two API instances see the same locks.

Every test uses its own usernames and client addresses: the database is shared by the session.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import hash_password
from domain.staff import Role
from infra.models import AuditEntry, Staff
from infra.seed import DEMO_PASSWORD
from infra.settings import load_settings
from tests.e2e.addresses import unique_ip, unique_network
from tests.e2e.support import Sessions

PASSWORD = "right-password-2026"


class FakeClock:
    """The API's clock, moved by the test (aware UTC)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


async def add_staff(sessions: Sessions, role: Role = Role.INTAKE_CLERK, region: str = "440105001") -> str:
    username = unique("lock")
    async with sessions.begin() as session:
        session.add(
            Staff(
                username=username,
                display_name="测试人员",
                password_hash=hash_password(PASSWORD),
                role=role.value,
                region_code=region,
                active=True,
            )
        )
    return username


@asynccontextmanager
async def running(
    dev_env: WorkflowEnvironment, sessions: Sessions, clock: FakeClock, **overrides: Any
) -> AsyncIterator[FastAPI]:
    app = create_app(
        load_settings(**overrides), session_factory=sessions, temporal_client=dev_env.client, clock=clock
    )
    async with app.router.lifespan_context(app):
        yield app


async def post_login(
    app: FastAPI, username: str, password: str, ip: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(ip, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        return await client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}, headers=headers
        )


async def audit_of(sessions: Sessions, username: str) -> list[tuple[str, str, int, dict[str, Any]]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_username == username).order_by(AuditEntry.id)
        )
        return [(r.action, r.outcome, r.status_code, r.detail) for r in rows]


def assert_locked(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 423, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "account_locked"
    assert "锁定" in body["message"] and "北京时间" in body["message"]
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    return body


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app(dev_env: WorkflowEnvironment, sessions: Sessions, clock: FakeClock) -> AsyncIterator[FastAPI]:
    async with running(dev_env, sessions, clock) as app:
        yield app


async def test_five_wrong_passwords_lock_the_account_until_the_lockout_ends(
    app: FastAPI, sessions: Sessions, clock: FakeClock
) -> None:
    user, ip = await add_staff(sessions), unique_ip()
    for _ in range(4):
        response = await post_login(app, user, "wrong", ip)
        assert response.status_code == 401
        assert response.json() == {"code": "invalid_credentials", "message": "用户名或密码错误"}
    body = assert_locked(await post_login(app, user, "wrong", ip))  # the fifth locks at once
    locked_until = datetime.fromisoformat(body["retry_at"])
    assert locked_until == clock.now + timedelta(minutes=15)
    assert (locked_until + timedelta(seconds=59)).astimezone().strftime("%M") in body["message"]

    assert_locked(await post_login(app, user, PASSWORD, ip))  # even the right password
    clock.advance(minutes=14, seconds=59)
    assert_locked(await post_login(app, user, PASSWORD, unique_ip()))  # from anywhere
    clock.advance(seconds=2)
    response = await post_login(app, user, PASSWORD, ip)
    assert response.status_code == 200, response.text

    actions = [(a, o, s) for a, o, s, _ in await audit_of(sessions, user)]
    assert actions == [
        *[("login.failed", "refused", 401)] * 4,
        ("login.failed", "refused", 423),
        ("login.locked", "refused", 423),
        ("login.refused", "refused", 423),
        ("login.refused", "refused", 423),
        ("login.unlocked", "ok", 200),
        ("login.succeeded", "ok", 200),
    ]
    details = [d for _, _, _, d in await audit_of(sessions, user)]
    assert details[4] == {"reason": "wrong_password", "failures": 5}
    assert details[6] == {"reason": "account_locked"}
    assert details[8]["reason"] == "expired"


async def test_a_successful_login_resets_the_count(app: FastAPI, sessions: Sessions) -> None:
    user, ip = await add_staff(sessions), unique_ip()
    for _ in range(4):
        assert (await post_login(app, user, "wrong", ip)).status_code == 401
    assert (await post_login(app, user, PASSWORD, ip)).status_code == 200
    for _ in range(4):
        assert (await post_login(app, user, "wrong", ip)).status_code == 401
    assert_locked(await post_login(app, user, "wrong", ip))


async def test_failures_older_than_the_window_are_not_counted(
    app: FastAPI, sessions: Sessions, clock: FakeClock
) -> None:
    user, ip = await add_staff(sessions), unique_ip()
    for _ in range(4):
        assert (await post_login(app, user, "wrong", ip)).status_code == 401
    clock.advance(minutes=15, seconds=1)
    for _ in range(4):
        assert (await post_login(app, user, "wrong", ip)).status_code == 401  # a new window
    assert_locked(await post_login(app, user, "wrong", ip))


async def test_unknown_usernames_get_the_same_answers_and_the_same_work(
    app: FastAPI, sessions: Sessions
) -> None:
    """No user enumeration: an unknown name is counted and locked like a real one, with the same
    bodies, and its password is hashed all the same (no quicker answer)."""
    real, ghost = await add_staff(sessions), unique("nobody")
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = {real: [], ghost: []}
    seconds: dict[str, list[float]] = {real: [], ghost: []}
    for _ in range(6):
        for user in (real, ghost):
            started = time.perf_counter()
            response = await post_login(app, user, "wrong", unique_ip())
            seconds[user].append(time.perf_counter() - started)
            answers[user].append((response.status_code, response.json()))
    assert answers[real] == answers[ghost]
    assert [status for status, _ in answers[ghost]] == [401, 401, 401, 401, 423, 423]
    # The first four ran scrypt; the fastest of either kind stays within a factor of two.
    assert min(seconds[ghost][:4]) >= 0.5 * min(seconds[real][:4])
    assert [a for a, *_ in await audit_of(sessions, ghost)][-3:] == [
        "login.failed",
        "login.locked",
        "login.refused",
    ]


async def test_an_address_with_too_many_failures_is_refused_with_retry_after(
    dev_env: WorkflowEnvironment, sessions: Sessions, clock: FakeClock
) -> None:
    ip, other_ip = unique_ip(), unique_ip()
    user = await add_staff(sessions)
    async with running(dev_env, sessions, clock, login_ip_max_failures=4) as app:
        for n in range(4):  # different usernames: no lock, only the address counts
            assert (await post_login(app, unique(f"guess{n}"), "wrong", ip)).status_code == 401
        refused = await post_login(app, user, PASSWORD, ip)  # even a right password
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "too_many_attempts" and "分钟后再试" in refused.json()["message"]
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
        assert (await post_login(app, user, PASSWORD, other_ip)).status_code == 200  # other addresses

        clock.advance(minutes=15, seconds=1)  # the failures leave the window
        assert (await post_login(app, user, PASSWORD, ip)).status_code == 200

    async with sessions() as session:
        throttled = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "login.ip_throttled", AuditEntry.target_id == ip
                )
            )
        )
    assert [(e.client_ip, e.detail) for e in throttled] == [(ip, {"failures": 4})]
    assert (await audit_of(sessions, user))[0][:3] == ("login.refused", "refused", 429)


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    dev_env: WorkflowEnvironment, sessions: Sessions, clock: FakeClock
) -> None:
    proxies = unique_network()
    proxy, behind, neighbour, spoofer = unique_ip(proxies), unique_ip(), unique_ip(), unique_ip()
    forged = [unique_ip() for _ in range(3)]  # what the spoofer claims: never believed
    async with running(
        dev_env, sessions, clock, login_ip_max_failures=2, trusted_proxies=[str(proxies)]
    ) as app:
        via = {"X-Forwarded-For": f"{unique_ip()}, {behind}"}  # the left part is the client's word
        for _ in range(2):
            assert (await post_login(app, unique("g"), "wrong", proxy, via)).status_code == 401
        assert (await post_login(app, unique("g"), "wrong", proxy, via)).status_code == 429
        # Another client behind the same proxy is not affected.
        other = {"X-Forwarded-For": neighbour}
        assert (await post_login(app, unique("g"), "wrong", proxy, other)).status_code == 401

        # An untrusted peer cannot dodge the limit by inventing a new X-Forwarded-For each time.
        for claimed in forged[:2]:
            spoof = {"X-Forwarded-For": claimed}
            assert (await post_login(app, unique("g"), "wrong", spoofer, spoof)).status_code == 401
        fresh = {"X-Forwarded-For": forged[2]}
        assert (await post_login(app, unique("g"), "wrong", spoofer, fresh)).status_code == 429

    async with sessions() as session:
        addresses = set(
            await session.scalars(
                select(AuditEntry.client_ip).where(AuditEntry.action.in_(["login.failed", "login.refused"]))
            )
        )
    assert {behind, neighbour, spoofer} <= addresses
    assert proxy not in addresses and not addresses & set(forged)


async def test_every_api_instance_sees_the_same_lock(
    dev_env: WorkflowEnvironment, sessions: Sessions, clock: FakeClock
) -> None:
    user = await add_staff(sessions)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running(dev_env, sessions, clock))
        second = await stack.enter_async_context(running(dev_env, sessions, clock))
        for app in (first, second, first, second):
            assert (await post_login(app, user, "wrong", unique_ip())).status_code == 401
        assert_locked(await post_login(app=second, username=user, password="wrong", ip=unique_ip()))
        assert_locked(await post_login(first, user, PASSWORD, unique_ip()))


async def test_an_operator_of_the_region_can_lift_a_lock_early(app: FastAPI, sessions: Sessions) -> None:
    user = await add_staff(sessions)
    for _ in range(5):
        await post_login(app, user, "wrong", unique_ip())
    assert_locked(await post_login(app, user, PASSWORD, unique_ip()))

    async def unlock_as(username: str, target: str) -> httpx.Response:
        login = await post_login(app, username, DEMO_PASSWORD, unique_ip())
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as c:
            return await c.delete(f"/api/v1/auth/lockouts/{target}", headers=headers)

    response = await unlock_as("clerk_chigang", user)
    assert response.status_code == 403 and response.json()["message"]
    response = await unlock_as("operator_haizhu", user)
    assert response.status_code == 200, response.text
    assert response.json() == {"username": user, "unlocked": True}
    assert (await post_login(app, user, PASSWORD, unique_ip())).status_code == 200
    assert (await unlock_as("operator_haizhu", "no_such_person")).status_code == 404
    assert (await unlock_as("operator_haizhu", user)).json()["unlocked"] is False  # nothing to lift

    async with sessions() as session:
        unlock = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "login.unlocked", AuditEntry.target_id == user)
        )
    assert unlock is not None
    assert (unlock.actor_username, unlock.actor_role, unlock.region_code) == (
        "operator_haizhu",
        "operator",
        "440105001",
    )
    assert unlock.detail == {"reason": "operator", "failures": 5}
