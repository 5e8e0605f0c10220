"""The roster's filters (救助对象名册, the API's GET /beneficiaries and the staff page alike) as SQL on
SQLite and PostgreSQL: by assistance type and by re-review due month (复核月份 in or before it),
always inside the caller's jurisdiction."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.models import Beneficiary
from services.beneficiaries import BeneficiaryFilter, BeneficiaryService

pytestmark = pytest.mark.db

APPROVER = Actor("approver_haizhu", "吴海燕", Role.COUNTY_APPROVER, "440105")


def household(number: str, kind: str, review: str | None, community: str = "440105001001") -> Beneficiary:
    return Beneficiary(
        application_number=number, assistance_type=kind, county_code=community[:6], township_code=community[:9],
        community_code=community, category="A", monthly_amount_fen=80_000, start_month="2027-01",
        status="active", masked_name="陈*伟", next_review_month=review,
    )  # fmt: skip


async def test_the_roster_filters_by_type_and_by_re_review_due(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    async with sessions.begin() as session:
        session.add_all([
            household("R-DUE-MAR", "dibao", "2027-03"), household("R-DUE-APR", "dibao", "2027-04"),
            household("R-TEKUN", "tekun", "2027-02"), household("R-NONE", "dibao", None),
            household("R-TIANHE", "dibao", "2027-01", community="440106001001"),
        ])  # fmt: skip
    service = BeneficiaryService(sessions, cast(Any, None), cast(Any, None))  # search needs neither

    async def numbers(**wanted: Any) -> set[str]:
        page = await service.search(APPROVER, BeneficiaryFilter(limit=200, **wanted))
        assert page.total == len(page.items)
        return {b.application_number for b in page.items}

    assert await numbers() == {"R-DUE-MAR", "R-DUE-APR", "R-TEKUN", "R-NONE"}  # not 天河区's
    assert await numbers(assistance_type="tekun") == {"R-TEKUN"}
    assert await numbers(review_due_by="2027-03") == {"R-DUE-MAR", "R-TEKUN"}  # in or before March
    assert await numbers(review_due_by="2027-03", assistance_type="dibao") == {"R-DUE-MAR"}
    assert await numbers(review_due_by="2026-12") == set()
