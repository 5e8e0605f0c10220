"""sms_messages on either database: one row per business key however attempts race, and a
delivery report already read is not undone by a retry that sends the same message again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.notices import NoticeActivities
from domain.notices import NoticeInput
from infra.db import make_session_factory
from infra.models import SmsRecord
from tests.factories import pii_vault

pytestmark = pytest.mark.db


def notice(key: str) -> NoticeInput:
    return NoticeInput(key, "440105-DB0000000001", "verification_code", {"code": "123456", "minutes": "5"})


async def test_racing_attempts_leave_one_row_per_message(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    activities = NoticeActivities(sessions, None, pii_vault())
    await asyncio.gather(
        *(
            activities._record(notice("k-1"), status, "text", receipt="R1")
            for status in ("sent", "unavailable") * 4
        )
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SmsRecord)) == 1


async def test_a_resend_does_not_undo_a_delivery_report(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    activities = NoticeActivities(sessions, None, pii_vault())
    await activities._record(notice("k-2"), "sent", "text", receipt="R2")
    await activities._set_status("k-2", "delivered")
    await activities._record(notice("k-2"), "sent", "text", receipt="R2")  # a retried send
    async with sessions() as session:
        row = await session.get(SmsRecord, "k-2")
    assert row is not None and row.status == "delivered"
