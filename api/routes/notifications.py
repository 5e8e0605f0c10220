"""/api/v1/notifications — reminders and breach notices addressed to the caller's role and region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentStaff, SessionsDep
from api.params import Offset
from api.schemas.codes import NumberLookup
from api.schemas.notifications import NotificationOut
from services.notifications import NotificationService

router = APIRouter(prefix="/api/v1/notifications", tags=["消息提醒"])


@router.get("", response_model=list[NotificationOut], summary="我的消息（按角色和辖区，最新在前）")
async def list_notifications(
    actor: CurrentStaff,
    sessions: SessionsDep,
    application_number: Annotated[NumberLookup | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[NotificationOut]:
    return await NotificationService(sessions).newest(actor, application_number, limit, offset)
