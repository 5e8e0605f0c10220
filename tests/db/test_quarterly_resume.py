"""A quarterly re-check batch that fails part-way (a department down at the third household) is
retried from its last heartbeat: the households already checked are not queried again, and the
batch's counts still include them. The retry is what Temporal hands the next attempt: the last
heartbeat's details, through the data converter."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.converter import DataConverter
from temporalio.testing import ActivityEnvironment

from activities.quarterly import QuarterlyActivities, RecheckBatchInput, RecheckBatchResult
from domain.departments import Department, DepartmentUnavailable
from infra.db import make_session_factory
from infra.models import Beneficiary, QuarterlyCheck
from infra.policy_config import load_policy_book
from infra.settings import load_settings
from tests.factories import pii_vault
from tests.quarterly_households import CountingDepartment, enrol

pytestmark = pytest.mark.db


def as_retried(details: Sequence[Any]) -> list[Any]:
    """Heartbeat details as the next attempt receives them: encoded, then decoded with no type."""
    converter = DataConverter.default.payload_converter
    return list(converter.from_payloads(converter.to_payloads(list(details))))


async def test_a_retried_batch_resumes_after_the_last_household_it_heartbeated(migrated: AsyncEngine) -> None:
    beneficiary_ids, people = await enrol(migrated, 5)
    department = CountingDepartment(down_at=people[2])

    def adapters(county: str) -> Mapping[Department, Any]:
        return {Department.TAX: department}

    settings = load_settings()
    activities = QuarterlyActivities(
        make_session_factory(migrated), adapters, load_policy_book(settings.policy_file), pii_vault()
    )
    batch = RecheckBatchInput("2026Q4", date(2027, 1, 1), beneficiary_ids)

    first = ActivityEnvironment()
    beats: list[Sequence[Any]] = []
    first.on_heartbeat = lambda *details: beats.append(details)
    with pytest.raises(DepartmentUnavailable):
        await first.run(activities.recheck_batch, batch)

    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=as_retried(beats[-1]))
    result: RecheckBatchResult = await retry.run(activities.recheck_batch, batch)

    assert result.checked == 5 and result.failed == []  # the first attempt's two are counted
    # Asked once each, but the household the department failed on (asked again on the retry).
    assert department.asked == Counter({people[0]: 1, people[1]: 1, people[2]: 2, people[3]: 1, people[4]: 1})

    # Each household is one check of 精准识别率's denominator for the quarter, however many
    # attempts reached it — and a batch run again from its start (a new attempt without details)
    # counts nobody twice.
    await ActivityEnvironment().run(activities.recheck_batch, batch)
    sessions = make_session_factory(migrated)
    async with sessions() as session:
        numbers = list(
            await session.scalars(
                select(Beneficiary.application_number).where(Beneficiary.id.in_(beneficiary_ids))
            )
        )
        checks = (
            await session.execute(
                select(QuarterlyCheck.application_number, QuarterlyCheck.warned).where(
                    QuarterlyCheck.period == "2026Q4", QuarterlyCheck.application_number.in_(numbers)
                )
            )
        ).all()
    assert sorted(checks) == sorted((n, False) for n in numbers)
