"""Password login with throttling: per-username lockout and per-address limits, in the database.

- A username (existing or not) that fails `login_max_failures` times in a row within
  `login_failure_window_minutes` (counted from its first failure) is locked for
  `login_lockout_minutes`: every attempt, even with the right password, gets 423 and the time to
  retry. A success resets the count. The lock lifts by itself when it expires (recorded as an
  unlock at the next attempt) or earlier by an operator of the account's region.
- A client address with `login_ip_max_failures` failures in the sliding window gets 429 with
  Retry-After until its oldest failure leaves the window. A success does not reset this count: one
  valid account must not let an address go on guessing others.
- Unknown usernames go through the same steps, answers and scrypt work as wrong passwords.
Refused attempts cost no password check. Every attempt leaves one audit entry, plus one for each
lock, unlock and address limit reached.

The attempt is counted before its password is checked, in one atomic UPDATE … RETURNING (issue 16):
with a check first and a count after, forty parallel guesses all passed the "not locked" check
before any of them was counted (sixteen, then forty, password checks for a limit of five). Now each
attempt takes a number; only numbers up to the limit get a check, the rest are refused and lock
the account. A success clears the count, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import CHINA_TZ
from domain.staff import Actor, covers
from infra.models import LoginIpFailure, LoginState, Staff
from infra.models.types import UtcDateTime
from infra.passwords import burn_password_check, verify_password
from infra.settings import Settings
from services.audit import AuditTrail, Clock, Target, Who, clean
from services.errors import ApiError

_INVALID = "用户名或密码错误"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta
    ip_max_failures: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            settings.login_max_failures,
            timedelta(minutes=settings.login_failure_window_minutes),
            timedelta(minutes=settings.login_lockout_minutes),
            settings.login_ip_max_failures,
        )


def _retry_seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def account_locked(until: datetime, now: datetime) -> ApiError:
    # Rounded up to the minute, so that "after 18:45" is true when the clock says 18:45.
    shown = (until + timedelta(seconds=59)).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    return ApiError(
        423,
        "account_locked",
        f"连续登录失败次数过多，账号已临时锁定，请于 {shown}（北京时间）后再试",
        headers={"Retry-After": str(_retry_seconds(until, now))},
        retry_at=until.isoformat(),
    )


def address_throttled(until: datetime, now: datetime) -> ApiError:
    seconds = _retry_seconds(until, now)
    return ApiError(
        429,
        "too_many_attempts",
        f"该网络地址登录失败次数过多，请 {math.ceil(seconds / 60)} 分钟后再试",
        headers={"Retry-After": str(seconds)},
        retry_at=until.isoformat(),
    )


@dataclass(frozen=True)
class _Count:
    failures: int  # consecutive failures of the username
    locked_until: datetime | None  # the username's lock, if it is locked now
    newly_locked: bool  # this failure set the lock
    ip_failures: int  # the address's failures in the window


class LoginGuard:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policy: LoginPolicy,
        clock: Clock,
        trail: AuditTrail,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._clock = clock
        self._trail = trail
        self._ip = trail.context.client_ip or "unknown"

    async def authenticate(self, username: str, password: str) -> Staff:
        """The active staff member with this username and password, or ApiError 401/423/429."""
        now = self._clock()
        key = clean(username, 64) or "-"
        staff: Staff | None = None
        if key == username:  # a name with control characters or over 64 characters cannot exist
            async with self._sessions() as session:
                staff = await session.scalar(select(Staff).where(Staff.username == username))
        who = Who(key, staff.role, staff.region_code) if staff else Who(key)
        target = Target("staff", key, region_code=staff.region_code if staff else None)

        throttled_until = await self._address_blocked_until(now)
        if throttled_until is not None:
            await self._audit(who, "login.refused", target, 429, reason="ip_throttled")
            raise address_throttled(throttled_until, now)
        locked_until = await self._locked_until(key, now, who, target)
        if locked_until is None:
            locked_until = await self._claim_attempt(key, now, who, target)
        if locked_until is not None:
            await self._audit(who, "login.refused", target, 423, reason="account_locked")
            raise account_locked(locked_until, now)

        if staff is None:
            burn_password_check(password)
            reason = "unknown_user"
        elif not verify_password(password, staff.password_hash):
            reason = "wrong_password"
        elif not staff.active:
            reason = "inactive"
        else:
            async with self._sessions.begin() as session:
                await session.execute(delete(LoginState).where(LoginState.username == key))
            await self._audit(who, "login.succeeded", target, 200)
            return staff
        raise await self._failed(key, now, who, target, reason)

    async def unlock(self, username: str, operator: Actor) -> bool:
        """Lift a lock early (an operator covering the account's region). False: nothing to lift."""
        async with self._sessions.begin() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            if staff is None or not covers(operator.region_code, staff.region_code):
                name = clean(username, 64)
                raise ApiError(404, "staff_not_found", f"您的管辖范围内没有用户名为 {name} 的工作人员")
            state = await session.get(LoginState, username)
            if state is None:
                return False
            detail = {"reason": "operator", "failures": state.failures}
            await session.delete(state)
        target = Target("staff", username, region_code=staff.region_code)
        await self._trail.record(operator, "login.unlocked", target, detail=detail)
        return True

    async def _address_blocked_until(self, now: datetime) -> datetime | None:
        since = now - self._policy.window
        async with self._sessions() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(LoginIpFailure.at)).where(
                        LoginIpFailure.client_ip == self._ip, LoginIpFailure.at > since
                    )
                )
            ).one()
        if int(count) < self._policy.ip_max_failures or oldest is None:
            return None
        until: datetime = oldest + self._policy.window
        return until

    async def _locked_until(self, key: str, now: datetime, who: Who, target: Target) -> datetime | None:
        """The running lock's end; an expired lock is cleared here (with its audit entry)."""
        async with self._sessions() as session:
            state = await session.get(LoginState, key)
        if state is None or state.locked_until is None:
            return None
        if state.locked_until > now:
            return state.locked_until
        async with self._sessions.begin() as session:
            cleared = await session.execute(
                delete(LoginState).where(
                    LoginState.username == key, LoginState.locked_until == state.locked_until
                )
            )
        if cleared.rowcount:  # type: ignore[attr-defined]
            detail = {"reason": "expired", "locked_until": state.locked_until.isoformat()}
            await self._trail.record(who, "login.unlocked", target, detail=detail)
        return None

    async def _failed(self, key: str, now: datetime, who: Who, target: Target, reason: str) -> ApiError:
        """Count the failure, audit it, and return the answer: 401, or 423 once it locks."""
        count = await self._count_failure(key, now)
        status = 423 if count.locked_until is not None else 401
        await self._audit(who, "login.failed", target, status, reason=reason, failures=count.failures)
        if count.ip_failures == self._policy.ip_max_failures:
            await self._audit(
                Who(None),
                "login.ip_throttled",
                Target("client_ip", self._ip),
                429,
                failures=count.ip_failures,
            )
        if count.locked_until is not None and count.newly_locked:
            until = count.locked_until.isoformat()
            await self._audit(who, "login.locked", target, 423, failures=count.failures, locked_until=until)
        if count.locked_until is not None:
            return account_locked(count.locked_until, now)
        return ApiError(401, "invalid_credentials", _INVALID, headers={"WWW-Authenticate": "Bearer"})

    async def _locked_now(self, session: AsyncSession, key: str, now: datetime) -> bool:
        """Lock the username once its attempts reach the limit. True: this call set the lock (a
        running lock is left as it is, so only one attempt records it)."""
        lock = (
            update(LoginState)
            .where(
                LoginState.username == key,
                LoginState.failures >= self._policy.max_failures,
                or_(
                    LoginState.locked_until.is_(None), LoginState.locked_until <= literal(now, UtcDateTime())
                ),
            )
            .values(locked_until=now + self._policy.lockout)
        )
        return bool((await session.execute(lock)).rowcount)  # type: ignore[attr-defined]

    async def _claim_attempt(self, key: str, now: datetime, who: Who, target: Target) -> datetime | None:
        """Count this attempt before its password is checked. None: go on and check it. Otherwise
        the lock's end: the attempt came after the limit (a parallel one may still be checking),
        so it gets no check, and it locks the username if no one has yet."""
        cutoff = now - self._policy.window
        at = literal(now, UtcDateTime())
        restart: ColumnElement[bool] = LoginState.window_started_at <= cutoff
        # One statement, so the database hands out the numbers: concurrent attempts (on any API
        # instance) each get a different one. A locked row is not counted (the lock decides).
        bump = (
            update(LoginState)
            .where(
                LoginState.username == key,
                or_(LoginState.locked_until.is_(None), LoginState.locked_until <= at),
            )
            .values(
                failures=case((restart, 1), else_=LoginState.failures + 1),
                window_started_at=case((restart, at), else_=LoginState.window_started_at),
                last_failure_at=at,
            )
            .returning(LoginState.failures)
        )
        async with self._sessions.begin() as session:
            number = (await session.execute(bump)).scalar()
            if number is None:
                try:
                    async with session.begin_nested():
                        session.add(
                            LoginState(username=key, failures=1, window_started_at=now, last_failure_at=now)
                        )
                    number = 1
                except IntegrityError:  # another attempt inserted it a moment ago
                    number = (await session.execute(bump)).scalar()
            over_limit = number is None or number > self._policy.max_failures
            newly_locked = over_limit and await self._locked_now(session, key, now)
            locked_until = await session.scalar(
                select(LoginState.locked_until).where(LoginState.username == key)
            )
        if number is not None and number <= self._policy.max_failures:
            return None
        if locked_until is None or locked_until <= now:  # cleared by a success in the meantime
            locked_until = now + self._policy.lockout
        if newly_locked:
            failures = number or self._policy.max_failures
            until = locked_until.isoformat()
            await self._audit(who, "login.locked", target, 423, failures=failures, locked_until=until)
        return locked_until

    async def _count_failure(self, key: str, now: datetime) -> _Count:
        """The failed attempt (already counted by _claim_attempt) locks the username once the count
        reaches the limit, and counts for the address: only one attempt sets the lock."""
        cutoff = now - self._policy.window
        async with self._sessions.begin() as session:
            # None: a parallel attempt with the right password has just cleared the count.
            failures = await session.scalar(select(LoginState.failures).where(LoginState.username == key))
            newly_locked = await self._locked_now(session, key, now)
            locked_until = await session.scalar(
                select(LoginState.locked_until).where(LoginState.username == key)
            )
            if locked_until is not None and locked_until <= now:
                locked_until = None  # an expired lock that no attempt has cleared yet
            session.add(LoginIpFailure(client_ip=self._ip, at=now))
            # Rows older than the window are only history: keep both tables small.
            await session.execute(delete(LoginIpFailure).where(LoginIpFailure.at <= cutoff))
            # A lock that ended a day ago is not worth an "unlocked" entry any more.
            stale = or_(LoginState.locked_until.is_(None), LoginState.locked_until <= now - timedelta(days=1))
            await session.execute(delete(LoginState).where(stale, LoginState.window_started_at <= cutoff))
            await session.flush()
            ip_failures = await session.scalar(
                select(func.count()).where(LoginIpFailure.client_ip == self._ip, LoginIpFailure.at > cutoff)
            )
        return _Count(int(failures or 0), locked_until, newly_locked, int(ip_failures or 0))

    async def _audit(self, who: Who, action: str, target: Target, status: int, **detail: object) -> None:
        await self._trail.record(who, action, target, status_code=status, detail=detail)
