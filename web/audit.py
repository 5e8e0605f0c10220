"""Audited page actions, as audited API routes (api/audit_scope.py): the same action names and the
same entries, with the actor from the page session. A page route that decides something declares
`audit: Annotated[AuditScope, Depends(page_audited("task.complete", "task", "task_id"))]` first
and calls `await audit.ok(...)` when done; PageRoute records any refusal on the way (a role check,
the service's ApiError) with its status and code; a form re-shown with field errors calls
`await refused_form(audit, refusal)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from api.audit_scope import AuditScope, audited
from domain.staff import Actor
from services.audit import AuditTrail
from services.errors import ApiError
from web.pages import page_actor


def page_audited(
    action: str, target_type: str, id_param: str | None = None
) -> Callable[[Request, Actor, AuditTrail], Awaitable[AuditScope]]:
    return audited(action, target_type, id_param, caller=page_actor)


async def refused_form(scope: AuditScope, refusal: ApiError) -> None:
    await scope.refused(refusal.status_code, refusal.code)
