"""Reminders and breach notices addressed to a role and region (the API's /notifications and the
staff home page read the same list)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.notifications import NotificationOut
from domain.staff import Actor
from infra.models import Notification


class NotificationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def newest(
        self, actor: Actor, application_number: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[NotificationOut]:
        """The caller's role's notices in the caller's region (and below), newest first."""
        query = select(Notification).where(
            Notification.recipient_role == actor.role.value,
            Notification.region_code.startswith(actor.region_code, autoescape=True),
        )
        if application_number:
            query = query.where(Notification.application_number == application_number)
        async with self._sessions() as session:
            rows = await session.scalars(
                query.order_by(Notification.created_at.desc(), Notification.id.desc())
                .limit(limit)
                .offset(offset)
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
