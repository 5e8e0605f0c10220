"""An approved monthly case is handed to the roster as a household waiting for its enrolment.
Its status `pending_enrolment` is 17 characters: the column held 16, which SQLite never checks and
PostgreSQL refuses — every recurring approval's hand-over would have retried forever there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.case_records import CaseRecordActivities
from domain.beneficiary import BeneficiaryStatus
from domain.enums import AssistanceType
from domain.records import HandOverInput
from infra.db import make_session_factory
from infra.models import Beneficiary
from infra.seed import seed_demo
from tests.factories import store_application

pytestmark = pytest.mark.db


async def test_an_approved_case_is_handed_over_waiting_for_its_enrolment(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    await seed_demo(sessions)
    number = f"HND-{uuid.uuid4().hex[:10]}"
    await store_application(sessions, number, datetime(2026, 11, 2, 2, tzinfo=UTC), household_size=3)
    handed = HandOverInput(
        number, AssistanceType.DIBAO, "440105", "440105001", "440105001001", "B", 61500, "2026-12"
    )
    records = CaseRecordActivities(sessions)
    await records.hand_over(handed)
    await records.hand_over(handed)  # the activity's retry: still one household
    async with sessions() as session:
        rows = (
            await session.scalars(select(Beneficiary).where(Beneficiary.application_number == number))
        ).all()
    assert [(r.status, r.household_size, r.monthly_amount_fen) for r in rows] == [
        (BeneficiaryStatus.PENDING_ENROLMENT.value, 3, 61500)
    ]
