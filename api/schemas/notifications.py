"""In-system notifications (reminders before a time limit, breaches)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: int
    application_number: str
    kind: str
    recipient_role: str
    region_code: str
    message: str
    created_at: datetime
    read_at: datetime | None
