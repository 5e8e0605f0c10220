"""The case search and the publicity list (services/case_search.py) as queries: the jurisdiction
prefix, the filters, the "overdue" subquery, paging, and the masked rows — on SQLite and (CI's
second pass) PostgreSQL. The pages and the API are tested on top in tests/web and tests/e2e."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import AssistanceType, Stage
from domain.staff import Actor, Role
from infra.db import make_session_factory
from infra.models import CaseEvent, DeadlineBreach
from infra.seed import seed_demo
from services.case_search import CaseFilter, CaseSearch
from services.errors import ApiError
from tests.factories import pii_vault, store_application

pytestmark = pytest.mark.db

AT = datetime(2026, 11, 2, 2, tzinfo=UTC)
APPROVER = Actor("approver_haizhu", "吴海燕", Role.COUNTY_APPROVER, "440105")
REVIEWER = Actor("reviewer_chigang", "王志强", Role.TOWNSHIP_REVIEWER, "440105001")


async def _world(engine: AsyncEngine) -> CaseSearch:
    sessions = make_session_factory(engine)
    await seed_demo(sessions)
    await store_application(sessions, "C-1", AT, stage="verification")
    await store_application(sessions, "C-2", AT + timedelta(days=1), stage="publicity",
                            assistance_type="tekun", applicant_name="欧阳小明")  # fmt: skip
    await store_application(sessions, "C-3", AT + timedelta(days=2), stage="verification",
                            township_code="440105002", community_code="440105002001")  # fmt: skip
    await store_application(sessions, "C_4", AT, stage="verification", county_code="440106",
                            township_code="440106001", community_code="440106001001")  # fmt: skip
    async with sessions.begin() as session:
        # Two breaches of one case: still one row in the list.
        for name in ("verification_start", "whole_process"):
            session.add(DeadlineBreach(application_number="C-1", limit_name=name, deadline=AT, breached_at=AT,
                                       stage="verification", county_code="440105", township_code="440105001"))  # fmt: skip
        session.add(CaseEvent(application_number="C-2", seq=1, at=AT, kind="publicity", stage="publicity",
                              summary="第1轮公示", data={"ends_at": (AT + timedelta(days=9)).isoformat()}))  # fmt: skip
    return CaseSearch(sessions, pii_vault())


def _numbers(page: object) -> list[str]:
    return [i.application_number for i in page.items]  # type: ignore[attr-defined]


async def test_filters_jurisdiction_overdue_and_paging(migrated: AsyncEngine) -> None:
    search = await _world(migrated)
    assert _numbers(await search.search(APPROVER, CaseFilter())) == ["C-3", "C-2", "C-1"]
    assert _numbers(await search.search(REVIEWER, CaseFilter(region_code="440105"))) == ["C-2", "C-1"]
    assert _numbers(await search.search(APPROVER, CaseFilter(stage=Stage.PUBLICITY))) == ["C-2"]
    assert _numbers(await search.search(APPROVER, CaseFilter(assistance_type=AssistanceType.TEKUN))) == [
        "C-2"
    ]
    overdue = await search.search(APPROVER, CaseFilter(overdue=True))
    assert _numbers(overdue) == ["C-1"] and overdue.total == 1 and overdue.items[0].overdue
    # "_" is a character, not a LIKE wildcard: C_ matches C_4 only, and only in 天河区.
    assert _numbers(await search.search(APPROVER, CaseFilter(application_number="C_"))) == []
    page = await search.search(APPROVER, CaseFilter(limit=1, offset=1))
    assert page.total == 3 and _numbers(page) == ["C-2"]
    assert page.items[0].applicant_name_masked == "欧**明" and page.items[0].community_name == "赤岗社区"
    with pytest.raises(ApiError) as refused:
        await search.search(APPROVER, CaseFilter(region_code="440106"))
    assert refused.value.status_code == 403


async def test_publicity_lists_the_townships_cases_in_publicity(migrated: AsyncEngine) -> None:
    search = await _world(migrated)
    notices = await search.publicity(REVIEWER)
    assert [(n.township_name, [e.application_number for e in n.entries]) for n in notices] == [
        ("赤岗街道", ["C-2"])
    ]
    entry = notices[0].entries[0]
    assert entry.applicant_name_masked == "欧**明" and entry.ends_at == AT + timedelta(days=9)
    assert entry.proposed_amount_fen is None  # no workflow asked here
