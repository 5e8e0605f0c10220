"""/api/v1/auth — staff login (OAuth2 password flow) and the caller's identity."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import issue_token
from api.deps import CurrentStaff, LoginGuardDep, SessionsDep, SettingsDep, require_roles
from api.idempotency import IdempotencyKey
from api.schemas.auth import StaffOut, TokenOut, UnlockOut
from domain.staff import ROLE_LABELS, Actor, Role
from infra.models import Region

router = APIRouter(prefix="/api/v1/auth", tags=["登录"])


@router.post(
    "/token",
    response_model=TokenOut,
    summary="工作人员登录，获取访问令牌",
    responses={
        401: {"description": "用户名或密码错误（invalid_credentials）"},
        423: {"description": "连续登录失败，账号临时锁定（account_locked，含 Retry-After）"},
        429: {"description": "该网络地址登录失败次数过多（too_many_attempts，含 Retry-After）"},
    },
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], settings: SettingsDep, guard: LoginGuardDep
) -> TokenOut:
    # One answer for unknown user, wrong password and disabled account (no account probing); the
    # guard counts failures per username and per address and locks or throttles (see login_guard).
    staff = await guard.authenticate(form.username, form.password)
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    token = issue_token(settings.jwt_secret, staff.username, Role(staff.role), staff.region_code, ttl)
    return TokenOut(access_token=token, expires_in=int(ttl.total_seconds()))


@router.delete(
    "/lockouts/{username}",
    response_model=UnlockOut,
    summary="解除工作人员账号的登录锁定（运维人员，限本辖区账号）",
    responses={403: {"description": "仅限运维人员"}, 404: {"description": "本辖区没有该工作人员"}},
)
async def unlock(
    username: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f/]+$")],
    operator: Annotated[Actor, Depends(require_roles(Role.OPERATOR))],
    guard: LoginGuardDep,
    _key: IdempotencyKey,  # checked only: lifting a lock twice lifts it once
) -> UnlockOut:
    lifted = await guard.unlock(username, operator)
    return UnlockOut(username=username, unlocked=lifted)


@router.get("/me", response_model=StaffOut, summary="当前登录的工作人员")
async def me(actor: CurrentStaff, sessions: SessionsDep) -> StaffOut:
    async with sessions() as session:
        region = await session.get(Region, actor.region_code)
    return StaffOut(
        username=actor.username,
        display_name=actor.display_name,
        role=actor.role,
        role_label=ROLE_LABELS[actor.role],
        region_code=actor.region_code,
        region_name=region.name if region else None,
    )
