"""Households for the quarterly re-check's retry tests: enrolled with a case file (the members'
sealed ID numbers), and a department that answers "nothing on record", counts who it was asked
about, and is down once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.departments import Department, DepartmentResult, DepartmentUnavailable
from infra.db import make_session_factory
from infra.models import Application, Beneficiary
from infra.seed import seed_demo
from tests.factories import id_number, pii_vault


class CountingDepartment:
    """Answers "nothing on record" and counts the people (one-person households) asked about,
    several to a query; down once, for the query that asks about `down_at`."""

    def __init__(self, down_at: str) -> None:
        self.asked: Counter[str] = Counter()
        self._down_at: str | None = down_at

    async def query(self, ids: Sequence[str], months: int, as_of: date) -> DepartmentResult:
        self.asked.update(ids)
        if self._down_at in ids:
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
