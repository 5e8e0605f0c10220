"""Dependency aliases for routes. Resources live on app.state, set by create_app's lifespan."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.auth import TokenExpired, TokenInvalid, read_token
from api.errors import ApiError, forbidden
from domain.staff import ROLE_LABELS, Actor, Role
from infra.models import Staff
from infra.pii import PiiVault
from infra.settings import Settings
from services.applications import ApplicationService
from services.audit import AuditTrail, Clock, RequestContext, clean, client_ip
from services.case_search import CaseSearch
from services.case_view import CaseService
from services.login_guard import LoginGuard, LoginPolicy
from services.tasks import TaskService
from services.workflow_gateway import WorkflowGateway

TOKEN_URL = "/api/v1/auth/token"
# auto_error=False: a missing token gets our Chinese error body, not FastAPI's English one.
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def sessions_dep(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return sessions


def temporal_dep(request: Request) -> Client:
    client: Client = request.app.state.temporal_client
    return client


def pii_dep(request: Request) -> PiiVault:
    vault: PiiVault = request.app.state.pii
    return vault


SettingsDep = Annotated[Settings, Depends(settings_dep)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(sessions_dep)]
TemporalDep = Annotated[Client, Depends(temporal_dep)]
PiiDep = Annotated[PiiVault, Depends(pii_dep)]


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=_CHALLENGE)


async def current_staff(
    settings: SettingsDep, sessions: SessionsDep, token: Annotated[str | None, Depends(_bearer)]
) -> Actor:
    """The caller as an Actor. Role and region come from the staff table, not the token, so that a
    role change or a deactivation takes effect at once, without waiting for tokens to expire."""
    if not token:
        raise _unauthorized("not_authenticated", "请先登录")
    try:
        claims = read_token(settings.jwt_secret, token)
    except TokenExpired:
        raise _unauthorized("invalid_token", "登录已过期，请重新登录") from None
    except TokenInvalid:
        raise _unauthorized("invalid_token", "登录凭证无效，请重新登录") from None
    async with sessions() as session:
        staff = await session.scalar(select(Staff).where(Staff.username == claims.username))
    if staff is None or not staff.active:
        raise _unauthorized("invalid_token", "账号不存在或已停用，请重新登录")
    return Actor(staff.username, staff.display_name, Role(staff.role), staff.region_code)


CurrentStaff = Annotated[Actor, Depends(current_staff)]


def require_roles(*roles: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency that lets only the given roles through (403 otherwise)."""
    allowed = "、".join(ROLE_LABELS[r] for r in roles)

    async def dependency(actor: CurrentStaff) -> Actor:
        if actor.role not in roles:
            raise forbidden(f"此操作仅限{allowed}")
        return actor

    return dependency


def workflow_gateway(client: TemporalDep) -> WorkflowGateway:
    return WorkflowGateway(client)


GatewayDep = Annotated[WorkflowGateway, Depends(workflow_gateway)]


def application_service(
    settings: SettingsDep, sessions: SessionsDep, client: TemporalDep, gateway: GatewayDep, pii: PiiDep
) -> ApplicationService:
    cases = CaseService(sessions, gateway, pii)
    return ApplicationService(sessions, client, settings.temporal_task_queue, cases, pii)


def case_service(sessions: SessionsDep, gateway: GatewayDep, pii: PiiDep) -> CaseService:
    return CaseService(sessions, gateway, pii)


def task_service(sessions: SessionsDep, gateway: GatewayDep) -> TaskService:
    return TaskService(sessions, gateway)


def case_search(sessions: SessionsDep, gateway: GatewayDep, pii: PiiDep) -> CaseSearch:
    return CaseSearch(sessions, pii, gateway)


ApplicationServiceDep = Annotated[ApplicationService, Depends(application_service)]
CaseSearchDep = Annotated[CaseSearch, Depends(case_search)]
CaseServiceDep = Annotated[CaseService, Depends(case_service)]
TaskServiceDep = Annotated[TaskService, Depends(task_service)]


# -- audit trail and login throttling (services/audit.py, services/login_guard.py) --
def clock_dep(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(clock_dep)]


def payroll_clock(clock: ClockDep) -> Clock:
    """What decides the current month for starting a payroll: the app's clock. Tests that pay a
    month ahead (their own months, far from the others') override this dependency alone."""
    return clock


PayrollClockDep = Annotated[Clock, Depends(payroll_clock)]


def audit_trail(
    request: Request, settings: SettingsDep, sessions: SessionsDep, clock: ClockDep
) -> AuditTrail:
    """The audit trail bound to this request's client address and user agent."""
    peer = request.client.host if request.client else None
    context = RequestContext(
        client_ip(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies),
        clean(request.headers.get("user-agent"), 200),
    )
    return AuditTrail(sessions, clock, context)


AuditDep = Annotated[AuditTrail, Depends(audit_trail)]


def login_guard(settings: SettingsDep, sessions: SessionsDep, clock: ClockDep, trail: AuditDep) -> LoginGuard:
    return LoginGuard(sessions, LoginPolicy.from_settings(settings), clock, trail)


LoginGuardDep = Annotated[LoginGuard, Depends(login_guard)]
