"""A staff member changes their own password.

The current password is checked by the login guard, so a stolen session that guesses at it meets
the same lockout, throttling and audit entries as a login. The new hash ends every other session
of the account (the page session carries the hash's fingerprint, web/session.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.passwords import password_problems
from domain.staff import Actor
from infra.models import Staff
from infra.passwords import hash_password
from services.audit import AuditTrail, Target
from services.errors import ApiError
from services.login_guard import LoginGuard


class StaffPasswords:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], guard: LoginGuard, trail: AuditTrail
    ) -> None:
        self._sessions = sessions
        self._guard = guard
        self._trail = trail

    async def change(self, actor: Actor, current: str, new: str, confirm: str) -> Staff:
        """The account with its new hash; ApiError 401/423/429 (current password) or 422 (new)."""
        errors = [
            {"field": "new_password", "type": "password_policy", "message": m}
            for m in password_problems(new, actor.username, current)
        ]
        if new != confirm:
            errors.append(
                {"field": "confirm_password", "type": "mismatch", "message": "两次输入的新密码不一致"}
            )
        try:  # first: a guess at the current password learns nothing about the new one's rules
            await self._guard.authenticate(actor.username, current)
        except ApiError as refusal:
            if refusal.status_code != 401:
                raise  # locked or throttled: the guard's own message
            field = {"field": "current_password", "type": "wrong_password", "message": "当前密码不正确"}
            raise ApiError(422, "wrong_password", "当前密码不正确", errors=[field]) from None
        if errors:
            raise ApiError(422, "invalid_password", "新密码不符合要求，请按提示修改", errors=errors)
        async with self._sessions.begin() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == actor.username))
            if staff is None or not staff.active:
                raise ApiError(401, "invalid_token", "账号不存在或已停用，请重新登录")
            staff.password_hash = hash_password(new)
        await self._trail.record(
            actor, "staff.password_changed", Target("staff", actor.username, region_code=actor.region_code)
        )
        return staff
