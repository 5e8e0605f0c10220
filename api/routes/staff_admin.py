"""/api/v1/admin/staff — staff accounts of the operator's region (运维监控人员): list, create, change
role / region / name, reset the password, deactivate and reactivate. Every rule and every audit
entry is in services/staff_admin.py, which the 系统管理 pages call too. (Lifting a login lock is
DELETE /api/v1/auth/lockouts/{username}.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import AuditDep, ClockDep, CurrentStaff, LoginGuardDep, SessionsDep
from api.idempotency import IdempotencyKey
from api.schemas.codes import JurisdictionCode
from api.schemas.staff_admin import ActiveIn, PasswordResetIn, StaffAccountOut, StaffChangeIn, StaffCreateIn
from services.staff_admin import NewStaff, StaffAdmin, StaffChange

router = APIRouter(prefix="/api/v1/admin/staff", tags=["系统管理"])

Username = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f/]+$")]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "仅限运维监控人员；不能修改自己的账号；同级运维或省级运维账号由上级管理"},
    404: {"description": "本辖区没有该工作人员"},
    422: {"description": "字段有误（errors 列出各字段的原因）"},
}


def staff_admin(sessions: SessionsDep, trail: AuditDep, guard: LoginGuardDep, clock: ClockDep) -> StaffAdmin:
    return StaffAdmin(sessions, trail, guard, clock)


StaffAdminDep = Annotated[StaffAdmin, Depends(staff_admin)]


@router.get("", response_model=list[StaffAccountOut], summary="本辖区的工作人员账号（运维监控人员）")
async def list_staff(
    actor: CurrentStaff,
    admin: StaffAdminDep,
    region_code: Annotated[JurisdictionCode | None, Query(description="只看该区划")] = None,
) -> list[StaffAccountOut]:
    return [StaffAccountOut.of(a) for a in await admin.accounts(actor, region_code)]


@router.post(
    "",
    response_model=StaffAccountOut,
    status_code=201,
    summary="新建工作人员账号（运维监控人员，限本辖区）",
    responses={**_REFUSALS, 409: {"description": "用户名已被使用"}},
)
async def create_staff(
    actor: CurrentStaff, admin: StaffAdminDep, body: StaffCreateIn, response: Response, key: IdempotencyKey
) -> StaffAccountOut:
    """With an Idempotency-Key, a retry of the same creation answers 200 with the account it made."""
    new = NewStaff(body.username, body.display_name, body.role, body.region_code, body.password)
    account, created = await admin.create(actor, new, key)
    if not created:
        response.status_code = 200
    return StaffAccountOut.of(account)


@router.get("/{username}", response_model=StaffAccountOut, summary="一个工作人员账号", responses=_REFUSALS)
async def get_staff(username: Username, actor: CurrentStaff, admin: StaffAdminDep) -> StaffAccountOut:
    return StaffAccountOut.of(await admin.account(actor, username))


@router.patch(
    "/{username}", response_model=StaffAccountOut, summary="修改岗位、辖区或姓名", responses=_REFUSALS
)
async def change_staff(
    username: Username, actor: CurrentStaff, admin: StaffAdminDep, body: StaffChangeIn, _key: IdempotencyKey
) -> StaffAccountOut:
    change = StaffChange(body.display_name, body.role, body.region_code)
    return StaffAccountOut.of(await admin.change(actor, username, change))


@router.put(
    "/{username}/password",
    response_model=StaffAccountOut,
    summary="重置密码（该账号的所有登录随即失效）",
    responses=_REFUSALS,
)
async def reset_password(
    username: Username, actor: CurrentStaff, admin: StaffAdminDep, body: PasswordResetIn, _key: IdempotencyKey
) -> StaffAccountOut:
    return StaffAccountOut.of(await admin.reset_password(actor, username, body.password))


@router.put(
    "/{username}/active", response_model=StaffAccountOut, summary="停用或重新启用", responses=_REFUSALS
)
async def set_active(
    username: Username, actor: CurrentStaff, admin: StaffAdminDep, body: ActiveIn, _key: IdempotencyKey
) -> StaffAccountOut:
    return StaffAccountOut.of(await admin.set_active(actor, username, body.active))
