"""Loading a year's holiday calendar tells exactly the running cases whose limits were counted
provisionally into that year (read from the timeline, so also cases started before this existed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.schemas.admin import CalendarDayIn, CalendarYearIn
from domain.application import CalendarLoadedInput, workflow_id_for
from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.models import CaseEvent
from infra.seed import seed_regions
from services.calendar import CalendarService
from tests.factories import store_application

pytestmark = pytest.mark.db

OPERATOR = Actor("operator_haizhu", "运维刘洋", Role.OPERATOR, "440105")
ACCEPTED = datetime(2026, 12, 28, 2, tzinfo=UTC)


class RecordedSignals:
    def __init__(self, gone: set[str]) -> None:
        self.told: list[tuple[str, int]] = []
        self._gone = gone

    async def calendar_loaded(self, workflow_id: str, input: CalendarLoadedInput) -> bool:
        if workflow_id in self._gone:
            return False  # finished since its limit was recorded
        self.told.append((workflow_id, input.year))
        return True


def event(number: str, seq: int, kind: str, **data: Any) -> CaseEvent:
    return CaseEvent(
        application_number=number, seq=seq, at=ACCEPTED, kind=kind, stage="verification",
        summary="…", data=data,
    )  # fmt: skip


async def test_only_running_cases_with_a_provisional_limit_into_the_year_are_told(
    migrated: AsyncEngine,
) -> None:
    sessions = make_session_factory(migrated)
    await seed_regions(sessions)
    cases = {
        "waiting": ("democratic_review", [("limit_started", True, "2027-02-09T00:00:00+08:00")]),
        "refusal_notice": ("rejected", [("limit_started", True, "2027-01-05T00:00:00+08:00")]),
        "into_2028": ("verification", [("limit_started", True, "2028-01-11T00:00:00+08:00")]),
        "approved": ("approved", [("limit_started", True, "2027-02-09T00:00:00+08:00")]),
        "counted": ("verification", [("limit_started", False, "2027-02-15T00:00:00+08:00")]),
        "within_2026": ("approval", [("limit_started", False, "2026-12-31T00:00:00+08:00")]),
        # An extension recorded before events carried the deadline: a candidate, to be safe.
        "old_extension": ("approval", [("limit_started", False, "2026-12-31T00:00:00+08:00"), ("extended", None, None)]),
        "finished_since": ("verification", [("limit_started", True, "2027-02-09T00:00:00+08:00")]),
    }  # fmt: skip
    numbers = {name: f"440105-CAL{i:04d}" for i, name in enumerate(cases)}
    for name, (stage, events) in cases.items():
        await store_application(sessions, numbers[name], ACCEPTED, stage=stage)
        async with sessions.begin() as session:
            for seq, (kind, provisional, deadline) in enumerate(events, start=1):
                data = {} if provisional is None else {"provisional": provisional, "deadline": deadline}
                session.add(event(numbers[name], seq, kind, **data))

    signals = RecordedSignals(gone={workflow_id_for(numbers["finished_since"])})
    body = CalendarYearIn(
        days=[CalendarDayIn(day=date(2027, 2, d), is_working_day=False, name="春节") for d in range(6, 13)],
        complete=True,
    )
    loaded = await CalendarService(sessions, signals).replace_year(2027, body, OPERATOR)

    expected = {"waiting", "refusal_notice", "into_2028", "old_extension"}
    assert sorted(signals.told) == sorted((workflow_id_for(numbers[n]), 2027) for n in expected)
    assert loaded.cases_notified == len(expected)
    assert loaded.complete and len(loaded.days) == 7
