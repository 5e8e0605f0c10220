"""/api/v1/notifications — reminders and breach notices addressed to the caller's role and region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import CurrentStaff, SessionsDep
from api.params import Offset
from api.schemas.codes import NumberLookup
from api.schemas.notifications import NotificationOut
from infra.models import Notification

router = APIRouter(prefix="/api/v1/notifications", tags=["消息提醒"])


@router.get("", response_model=list[NotificationOut], summary="我的消息（按角色和辖区，最新在前）")
async def list_notifications(
    actor: CurrentStaff,
    sessions: SessionsDep,
    application_number: Annotated[NumberLookup | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[NotificationOut]:
    query = select(Notification).where(
        Notification.recipient_role == actor.role.value,
        Notification.region_code.startswith(actor.region_code, autoescape=True),
    )
    if application_number:
        query = query.where(Notification.application_number == application_number)
    async with sessions() as session:
        rows = await session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit).offset(offset)
        )
        return [
            NotificationOut(
                id=n.id,
                application_number=n.application_number,
                kind=n.kind,
                recipient_role=n.recipient_role,
                region_code=n.region_code,
                message=n.message,
                created_at=n.created_at,
                read_at=n.read_at,
            )
            for n in rows
        ]
