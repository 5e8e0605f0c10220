"""A quarterly re-check batch that fails part-way (a department down at the third household) is
retried from its last heartbeat: the households already checked are not queried again, and the
batch's counts still include them. The retry is what Temporal hands the next attempt: the last
heartbeat's details, through the data converter."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.converter import DataConverter
from temporalio.testing import ActivityEnvironment

from activities.quarterly import QuarterlyActivities, RecheckBatchInput, RecheckBatchResult
from domain.departments import Department, DepartmentResult, DepartmentUnavailable
from infra.db import make_session_factory
from infra.models import Application, Beneficiary
from infra.policy_config import load_policy_book
from infra.seed import seed_demo
from infra.settings import load_settings
from tests.factories import id_number, pii_vault

pytestmark = pytest.mark.db


class CountingDepartment:
    """Answers "nothing on record" and counts the households asked about; down once, at `down_at`."""

    def __init__(self, down_at: str) -> None:
        self.asked: Counter[str] = Counter()
        self._down_at: str | None = down_at

    async def query(self, ids: Sequence[str], months: int, as_of: date) -> DepartmentResult:
        self.asked[ids[0]] += 1
        if ids[0] == self._down_at:
            self._down_at = None
            raise DepartmentUnavailable("税务部门接口暂不可用")
        return DepartmentResult(Department.TAX)


async def enrol(engine: AsyncEngine, count: int) -> tuple[list[int], list[str]]:
    sessions, vault, tag = make_session_factory(engine), pii_vault(), uuid.uuid4().hex[:6]
    await seed_demo(sessions)  # the regions the applications belong to
    ids, people = [], [id_number(birth="19700101", seq=100 + n) for n in range(count)]
    async with sessions.begin() as session:
        for n, person in enumerate(people):
            number = f"QR-{tag}-{n}"
            application = Application(
                application_number=number, workflow_id=f"application-{number}", assistance_type="dibao",
                channel="walk_in", county_code="440105", township_code="440105001",
                community_code="440105001001", applicant_name="某某", household_size=1, green_channel=False,
                stage="approved", accepted_at=datetime.now(UTC),
            )  # fmt: skip
            application.seal_personal_data(
                vault, id_number=person, phone="13800000000",
                submission={"members": [{"id_number": person, "monthly_income_fen": 0}]},
            )  # fmt: skip
            beneficiary = Beneficiary(
                application_number=number, assistance_type="dibao", county_code="440105",
                township_code="440105001", community_code="440105001001", category="B",
                monthly_amount_fen=100_000, start_month="2026-11", status="active",
            )  # fmt: skip
            session.add_all([application, beneficiary])
            await session.flush()
            ids.append(beneficiary.id)
    return ids, people


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
