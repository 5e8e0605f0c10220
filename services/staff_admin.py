"""系统管理 · staff accounts: an operator manages the accounts of their own region.

The JSON API (api/routes/staff_admin.py) and the 系统管理 pages both call `StaffAdmin`, so the rules
hold on both edges. Written against a hostile operator:

- only operators (运维监控人员) and provincial operators manage accounts, and only accounts whose
  region lies inside their own; an account outside it is "not found" (404), whatever it is, so its
  existence, role or name never leaks;
- a new or moved account's region must be a known region inside the operator's own (one outside
  it is refused with 403: only a forged form names one);
- operator accounts are managed from above: an operator may create or change an operator account
  only in a region strictly inside their own (not a peer of the same region, whose password reset
  would hand them the peer's identity), and only a provincial operator makes, changes or resets a
  provincial operator (the role that loads the national calendar and decrypts every county);
- nobody changes their own role, region or active state, nor resets their own password here (the
  修改密码 page asks for the current password);
- the initial and reset passwords follow domain/passwords.py.

Every change — and every refused attempt — leaves an audit entry about the account (its region, so
the region's supervisor sees it). A reset password changes the hash, which ends every page session
of the account (web/session.py fingerprints it) and the account's next API login needs the new one;
a deactivation ends both at the next request (both check "active" on every request).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import RegionLevel
from domain.passwords import password_problems
from domain.staff import ROLE_LABELS, Actor, Role, covers
from infra.models import LoginState, Region, Staff
from infra.passwords import hash_password
from services.audit import AuditTrail, Clock, Target, clean
from services.errors import ApiError
from services.login_guard import LoginGuard

MANAGERS = (Role.OPERATOR, Role.PROVINCIAL_OPERATOR)
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
RESERVED = frozenset({"new"})  # /staff/admin/staff/new is the creation form
_T = TypeVar("_T")


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    role: Role
    role_label: str
    region_code: str
    region_name: str
    active: bool
    locked_until: datetime | None
    created_at: datetime | None


@dataclass(frozen=True)
class RegionChoice:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class NewStaff:
    username: str
    display_name: str
    role: str
    region_code: str
    password: str


@dataclass(frozen=True)
class StaffChange:
    """Only the fields given change (None: keep)."""

    display_name: str | None = None
    role: str | None = None
    region_code: str | None = None


def _field(field: str, kind: str, message: str) -> dict[str, str]:
    return {"field": field, "type": kind, "message": message}


def _invalid(errors: list[dict[str, str]]) -> ApiError:
    return ApiError(422, "invalid_staff", "账号信息有误，请按提示修改", errors=errors)


def _not_found(username: str) -> ApiError:
    name = clean(username, 64) or ""
    return ApiError(404, "staff_not_found", f"您的管辖范围内没有用户名为 {name} 的工作人员")


def _key_digest(key: str | None) -> str | None:
    # The form's or client's key is not kept as such: a digest is enough to recognise a resubmission.
    return hashlib.sha256(key.encode()).hexdigest()[:32] if key else None


class StaffAdmin:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], trail: AuditTrail, guard: LoginGuard, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._trail = trail
        self._guard = guard
        self._clock = clock

    # -- reading ---------------------------------------------------------------------------------
    async def accounts(self, operator: Actor, region_code: str | None = None) -> list[StaffAccount]:
        """The accounts of the operator's region (narrowed to `region_code` when given), by region
        then username. A region outside the operator's own yields nothing, not an error."""
        self._manager(operator)
        within = region_code if region_code and covers(operator.region_code, region_code) else None
        if region_code and within is None:
            return []
        prefix = within or operator.region_code
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(Staff)
                    .where(Staff.region_code.startswith(prefix, autoescape=True))
                    .order_by(Staff.region_code, Staff.username)
                )
            )
            return await self._describe(session, rows)

    async def account(self, operator: Actor, username: str) -> StaffAccount:
        self._manager(operator)
        async with self._sessions() as session:
            staff = await self._find(session, operator, username)
            return (await self._describe(session, [staff]))[0]

    async def regions(self, operator: Actor) -> list[RegionChoice]:
        """The regions an account may be given: the operator's own and every one inside it."""
        self._manager(operator)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Region)
                .where(Region.code.startswith(operator.region_code, autoescape=True))
                .order_by(Region.code)
            )
            return [RegionChoice(r.code, r.name, r.level) for r in rows]

    def assignable_roles(self, operator: Actor) -> list[Role]:
        """The roles the operator may give (whether a region suits one is checked on saving)."""
        return [
            r for r in Role if r is not Role.PROVINCIAL_OPERATOR or operator.role is Role.PROVINCIAL_OPERATOR
        ]

    # -- changes ---------------------------------------------------------------------------------
    async def create(
        self, operator: Actor, new: NewStaff, key: str | None = None
    ) -> tuple[StaffAccount, bool]:
        """The new account and True, or — for a resubmission of the same create (same key, same
        operator) — the account it made and False. 409 if the username is taken."""
        target = Target("staff", clean(new.username, 64), region_code=clean(new.region_code, 12))
        detail: dict[str, Any] = {"role": clean(new.role, 32), "region_code": clean(new.region_code, 12)}
        digest = _key_digest(key)

        async def run() -> tuple[StaffAccount, bool]:
            self._manager(operator)
            errors: list[dict[str, str]] = []
            if not USERNAME.match(new.username) or new.username in RESERVED:
                errors.append(_field("username", "invalid_username",
                                     "用户名须为3至64位小写字母、数字、下划线、点或连字符，且以字母开头"))  # fmt: skip
            errors += self._name_problems(new.display_name)
            async with self._sessions() as session:
                role, region = await self._placement(session, operator, new.role, new.region_code, errors)
            errors += [
                _field("password", "password_policy", m)
                for m in password_problems(new.password, new.username)
            ]
            if errors:
                raise _invalid(errors)
            try:
                async with self._sessions.begin() as session:
                    session.add(Staff(
                        username=new.username, display_name=new.display_name.strip(), role=role.value,
                        region_code=region.code, password_hash=hash_password(new.password), active=True,
                        created_by=operator.username, create_key=digest,
                    ))  # fmt: skip
            except IntegrityError:
                if digest and await self._created_with(operator, new.username, digest):
                    return await self.account(operator, new.username), False
                raise ApiError(
                    409, "username_taken", f"用户名 {new.username} 已被使用，请换一个",
                    errors=[_field("username", "taken", "该用户名已被使用")],
                ) from None  # fmt: skip
            return await self.account(operator, new.username), True

        result = await self._audited(operator, "staff.created", target, detail | {"key": digest}, run)
        return result

    async def change(self, operator: Actor, username: str, change: StaffChange) -> StaffAccount:
        detail: dict[str, Any] = {
            k: clean(v, 64) for k, v in (("role", change.role), ("region_code", change.region_code)) if v
        }
        target = Target("staff", clean(username, 64))

        async def run() -> StaffAccount:
            self._manager(operator)
            async with self._sessions.begin() as session:
                staff = await self._find(session, operator, username, target)
                self._not_self(operator, staff, "岗位和辖区")
                await self._may_manage(session, operator, Role(staff.role), staff.region_code)
                errors: list[dict[str, str]] = []
                if change.display_name is not None:
                    errors += self._name_problems(change.display_name)
                role, region = await self._placement(
                    session,
                    operator,
                    change.role or staff.role,
                    change.region_code or staff.region_code,
                    errors,
                )
                if errors:
                    raise _invalid(errors)
                detail.update(before_role=staff.role, before_region=staff.region_code)
                staff.role, staff.region_code = role.value, region.code
                if change.display_name is not None:
                    staff.display_name = change.display_name.strip()
                # The entry is about the account where it ends up; its old region is in the detail.
                target.region_code = region.code
            return await self.account(operator, username)

        return await self._audited(operator, "staff.changed", target, detail, run)

    async def reset_password(self, operator: Actor, username: str, password: str) -> StaffAccount:
        """A new initial password set by the operator: every session of the account ends."""
        target = Target("staff", clean(username, 64))

        async def run() -> StaffAccount:
            self._manager(operator)
            async with self._sessions.begin() as session:
                staff = await self._find(session, operator, username, target)
                self._not_self(operator, staff, "密码（请在“修改密码”中修改）")
                await self._may_manage(session, operator, Role(staff.role), staff.region_code)
                problems = password_problems(password, staff.username)
                if problems:
                    raise _invalid([_field("password", "password_policy", m) for m in problems])
                staff.password_hash = hash_password(password)
            return await self.account(operator, username)

        return await self._audited(operator, "staff.password_reset", target, {}, run)

    async def set_active(self, operator: Actor, username: str, active: bool) -> StaffAccount:
        """Deactivate (every session and token of the account stops at its next request) or
        reactivate. Setting the state it already has changes nothing."""
        target = Target("staff", clean(username, 64))
        action = "staff.reactivated" if active else "staff.deactivated"
        detail: dict[str, Any] = {}

        async def run() -> StaffAccount:
            self._manager(operator)
            async with self._sessions.begin() as session:
                staff = await self._find(session, operator, username, target)
                self._not_self(operator, staff, "启用状态")
                await self._may_manage(session, operator, Role(staff.role), staff.region_code)
                if staff.active == active:
                    detail["unchanged"] = True
                staff.active = active
            return await self.account(operator, username)

        return await self._audited(operator, action, target, detail, run)

    async def unlock(self, operator: Actor, username: str) -> bool:
        """Lift a login lock early (the login guard's unlock, which audits it). False: not locked."""
        self._manager(operator)
        async with self._sessions() as session:
            await self._find(session, operator, username)
        return await self._guard.unlock(username, operator)

    # -- rules -----------------------------------------------------------------------------------
    @staticmethod
    def _manager(operator: Actor) -> None:
        if operator.role not in MANAGERS:
            raise ApiError(403, "forbidden", "工作人员账号仅限运维监控人员管理")

    @staticmethod
    def _not_self(operator: Actor, staff: Staff, what: str) -> None:
        if staff.username == operator.username:
            raise ApiError(403, "own_account", f"不能修改自己账号的{what}，请由上级运维监控人员办理")

    @staticmethod
    def _name_problems(name: str) -> list[dict[str, str]]:
        shown = name.strip()
        if not shown or len(shown) > 64 or not shown.isprintable():
            return [_field("display_name", "invalid_name", "姓名须为1至64个字符")]
        return []

    async def _find(
        self, session: AsyncSession, operator: Actor, username: str, target: Target | None = None
    ) -> Staff:
        staff = await session.scalar(select(Staff).where(Staff.username == username))
        if staff is None or not covers(operator.region_code, staff.region_code):
            raise _not_found(username)
        if target is not None:
            target.region_code = staff.region_code
        return staff

    async def _placement(
        self,
        session: AsyncSession,
        operator: Actor,
        role_code: str,
        region_code: str,
        errors: list[dict[str, str]],
    ) -> tuple[Role, Region]:
        """The role and region an account is given, checked; problems go into `errors` (and a
        placement the operator may not make raises 403)."""
        try:
            role = Role(role_code)
        except ValueError:
            errors.append(_field("role", "invalid_role", "请选择岗位"))
            role = Role.INTAKE_CLERK
        if region_code and not covers(operator.region_code, region_code):
            # Only a forged form or a hostile client names a region outside the operator's own.
            raise ApiError(403, "outside_region", "不能在您的辖区以外设置工作人员账号")
        region = await session.get(Region, region_code) if region_code else None
        if region is None:
            errors.append(_field("region_code", "unknown_region", "请选择您辖区内的区划"))
            raise _invalid(errors)
        provincial = region.level == RegionLevel.PROVINCE.value
        if (role is Role.PROVINCIAL_OPERATOR) != provincial and not any(e["field"] == "role" for e in errors):
            message = "省级运维监控人员须设在省级区划" if not provincial else "省级区划只能设省级运维监控人员"
            errors.append(_field("region_code", "level_mismatch", message))
        if not errors:
            await self._may_manage(session, operator, role, region.code)
        return role, region

    @staticmethod
    async def _may_manage(session: AsyncSession, operator: Actor, role: Role, region_code: str) -> None:
        if operator.role is Role.PROVINCIAL_OPERATOR:
            return
        if role is Role.PROVINCIAL_OPERATOR:
            raise ApiError(403, "forbidden_role", "省级运维监控人员账号仅限省级运维监控人员管理")
        if role is Role.OPERATOR and region_code == operator.region_code:
            raise ApiError(403, "forbidden_role", "同级运维监控人员的账号由上级运维监控人员管理")

    async def _created_with(self, operator: Actor, username: str, digest: str) -> bool:
        async with self._sessions() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
        return staff is not None and (staff.created_by, staff.create_key) == (operator.username, digest)

    async def _describe(self, session: AsyncSession, rows: list[Staff]) -> list[StaffAccount]:
        codes = {s.region_code for s in rows}
        names = {
            code: name
            for code, name in await session.execute(
                select(Region.code, Region.name).where(Region.code.in_(codes))
            )
        }
        now = self._clock()
        locked = select(LoginState.username, LoginState.locked_until).where(
            LoginState.username.in_([s.username for s in rows]), LoginState.locked_until > now
        )
        locks = {username: until for username, until in await session.execute(locked)}
        return [
            StaffAccount(
                s.username,
                s.display_name,
                Role(s.role),
                ROLE_LABELS[Role(s.role)],
                s.region_code,
                names.get(s.region_code, s.region_code),
                s.active,
                locks.get(s.username),
                s.created_at,
            )
            for s in rows
        ]

    async def _audited(
        self,
        operator: Actor,
        action: str,
        target: Target,
        detail: dict[str, Any],
        run: Callable[[], Awaitable[_T]],
    ) -> _T:
        """Run the change and record it, or record its refusal (with its code) and re-raise."""
        try:
            result = await run()
        except ApiError as refusal:
            fields = sorted({e["field"] for e in refusal.extra.get("errors", [])})
            await self._trail.record(
                operator, action, target, status_code=refusal.status_code,
                detail={**detail, "code": refusal.code, **({"fields": fields} if fields else {})},
            )  # fmt: skip
            raise
        await self._trail.record(operator, action, target, detail=detail)
        return result
