"""Auditing a route's action, whether it succeeds or is refused.

A route that decides something declares `audit: Annotated[AuditScope, Depends(audited(...))]` as
its FIRST parameter. The dependency runs right after the token check and before the route's other
dependencies (role checks) and body validation, and leaves the scope on `request.state`. The route
calls `await audit.ok(...)` once the action is done; any refusal on the way — a role check, a body
that fails validation, the task table, the workflow's validator — is recorded by the error handlers
that `install_audit_hooks` wraps around the application's own, with the status and error code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from api.deps import audit_trail, current_staff
from api.errors import ApiError
from domain.staff import Actor
from services.audit import AuditTrail, Target, clean

_STATE_KEY = "audit_scope"


class AuditScope:
    def __init__(self, trail: AuditTrail, actor: Actor, action: str, target: Target) -> None:
        self.trail = trail
        self.actor = actor
        self.action = action
        self.target = target
        self.detail: dict[str, Any] = {}  # codes only: what was attempted (outcome, year …)
        self.recorded = False

    async def ok(self, status_code: int = 200, *, required: bool = False, **detail: Any) -> None:
        """Record the success. `required`: raise 503 if it cannot be recorded (a read of personal
        data must not be answered unaudited); otherwise a failed insert is only logged."""
        await self._record(status_code, {**self.detail, **detail}, required)

    async def refused(self, status_code: int, code: str) -> None:
        await self._record(status_code, {**self.detail, "code": code}, False)

    async def _record(self, status_code: int, detail: dict[str, Any], required: bool) -> None:
        if self.recorded:
            return
        self.recorded = True  # before the insert: a 503 from it must not be recorded as a refusal
        await self.trail.record(
            self.actor, self.action, self.target, status_code=status_code, detail=detail, required=required
        )


def audited(
    action: str,
    target_type: str,
    id_param: str | None = None,
    caller: Callable[..., Awaitable[Actor]] = current_staff,
) -> Callable[[Request, Actor, AuditTrail], Awaitable[AuditScope]]:
    """A dependency opening an audit scope for `action` on the target named by path parameter
    `id_param` (the route may fill in the target later, e.g. from the body). `caller` resolves
    the actor: the bearer token here, the page session for the staff pages (web/audit.py)."""

    # Depends as defaults (not Annotated): the annotations are strings under `from __future__`, and
    # FastAPI resolves strings in the module's globals, where the closure's `caller` is not.
    async def dependency(
        request: Request,
        actor: Actor = Depends(caller),  # noqa: B008
        trail: AuditTrail = Depends(audit_trail),  # noqa: B008
    ) -> AuditScope:
        target_id = clean(request.path_params.get(id_param), 64) if id_param else None
        target = Target(target_type, target_id)
        if target_type == "application":
            target.application_number = clean(target_id, 40)
        scope = AuditScope(trail, actor, action, target)
        setattr(request.state, _STATE_KEY, scope)
        return scope

    return dependency


def open_scope(request: Request) -> AuditScope | None:
    """The audit scope a route opened, if it has not been recorded yet."""
    scope: AuditScope | None = getattr(request.state, _STATE_KEY, None)
    return scope if scope is not None and not scope.recorded else None


def install_audit_hooks(app: FastAPI) -> None:
    """Record refusals of audited routes, then answer exactly as the application's handlers do
    (a failed audit insert never changes the answer: the trail logs it)."""
    for exc_type in (ApiError, RequestValidationError):
        original = app.exception_handlers[exc_type]

        async def handler(
            request: Request, exc: Exception, original: Callable[..., Any] = original
        ) -> Response:
            scope: AuditScope | None = getattr(request.state, _STATE_KEY, None)
            if scope is not None and not scope.recorded:
                if isinstance(exc, ApiError):
                    await scope.refused(exc.status_code, exc.code)
                else:
                    await scope.refused(422, "validation_error")
            response: Response = await original(request, exc)
            return response

        app.add_exception_handler(exc_type, handler)
