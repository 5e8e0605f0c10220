"""/api/v1/auth — staff login (OAuth2 password flow) and the caller's identity."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.auth import burn_password_check, issue_token, verify_password
from api.deps import CurrentStaff, SessionsDep, SettingsDep
from api.errors import ApiError
from api.schemas.auth import StaffOut, TokenOut
from domain.staff import ROLE_LABELS, Role
from infra.models import Region, Staff

router = APIRouter(prefix="/api/v1/auth", tags=["登录"])


@router.post(
    "/token",
    response_model=TokenOut,
    summary="工作人员登录，获取访问令牌",
    responses={401: {"description": "用户名或密码错误"}},
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], settings: SettingsDep, sessions: SessionsDep
) -> TokenOut:
    async with sessions() as session:
        staff = await session.scalar(select(Staff).where(Staff.username == form.username))
    if staff is None:
        burn_password_check(form.password)
    if staff is None or not verify_password(form.password, staff.password_hash) or not staff.active:
        # One answer for unknown user, wrong password and disabled account: no account probing.
        raise ApiError(401, "invalid_credentials", "用户名或密码错误", headers={"WWW-Authenticate": "Bearer"})
    ttl = timedelta(minutes=settings.jwt_ttl_minutes)
    token = issue_token(settings.jwt_secret, staff.username, Role(staff.role), staff.region_code, ttl)
    return TokenOut(access_token=token, expires_in=int(ttl.total_seconds()))


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
