"""GET /api/v1/applications (案件检索) and /api/v1/applications/publicity (公示名单): filters,
jurisdiction, masking — the same service the staff pages /staff/cases and /staff/publicity call."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from infra.models import CaseEvent, DeadlineBreach
from tests.e2e.support import Sessions, login, refused
from tests.factories import id_number, store_application

APPS = "/api/v1/applications"


async def _cases(sessions: Sessions, prefix: str) -> None:
    """Four stored cases under one unique number prefix: two townships, stages, types, one breach."""
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    await store_application(sessions, f"{prefix}-1", at, stage="verification")
    await store_application(
        sessions, f"{prefix}-2", at + timedelta(days=1), stage="publicity", assistance_type="tekun",
        applicant_name="欧阳小明",
    )  # fmt: skip
    await store_application(
        sessions, f"{prefix}-3", at + timedelta(days=2), stage="verification",
        township_code="440105002", community_code="440105002001",
    )  # fmt: skip
    await store_application(
        sessions, f"{prefix}-4", at, stage="verification", county_code="440106",
        township_code="440106001", community_code="440106001001",
    )  # fmt: skip
    async with sessions.begin() as session:
        session.add(
            DeadlineBreach(
                application_number=f"{prefix}-1", limit_name="verification", deadline=at, breached_at=at,
                stage="verification", county_code="440105", township_code="440105001",
            )
        )  # fmt: skip
        session.add(
            CaseEvent(
                application_number=f"{prefix}-2", seq=1, at=at + timedelta(days=1), kind="publicity",
                stage="publicity", summary="第1轮公示", data={"ends_at": (at + timedelta(days=10)).isoformat()},
            )
        )  # fmt: skip


async def _numbers(api: httpx.AsyncClient, user: str, **params: object) -> list[str]:
    response = await api.get(APPS, params=params, headers=await login(api, user))
    assert response.status_code == 200, response.text
    return [i["application_number"] for i in response.json()["items"]]


async def test_search_filters_by_number_stage_type_region_and_overdue_within_the_callers_region(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    prefix = f"S{uuid.uuid4().hex[:10].upper()}"
    await _cases(sessions, prefix)
    q = {"application_number": prefix}
    # The county approver of 海珠区 sees its three, newest first; never 天河区's.
    assert await _numbers(api, "approver_haizhu", **q) == [f"{prefix}-3", f"{prefix}-2", f"{prefix}-1"]
    assert await _numbers(api, "approver_tianhe", **q) == [f"{prefix}-4"]
    # A township's staff see their township only, even when they ask for the whole county.
    assert await _numbers(api, "reviewer_chigang", **q, region_code="440105") == [
        f"{prefix}-2",
        f"{prefix}-1",
    ]
    assert await _numbers(api, "approver_haizhu", **q, region_code="440105002") == [f"{prefix}-3"]
    assert await _numbers(api, "approver_haizhu", **q, stage="publicity") == [f"{prefix}-2"]
    assert await _numbers(api, "approver_haizhu", **q, assistance_type="tekun") == [f"{prefix}-2"]
    assert await _numbers(api, "approver_haizhu", **q, overdue="true") == [f"{prefix}-1"]
    page = await api.get(
        APPS, params={**q, "limit": 1, "offset": 1}, headers=await login(api, "approver_haizhu")
    )
    body = page.json()
    assert body["total"] == 3 and [i["application_number"] for i in body["items"]] == [f"{prefix}-2"]
    assert body["items"][0]["applicant_name_masked"] == "欧**明"
    assert "欧阳小明" not in page.text


async def test_a_region_filter_outside_the_callers_jurisdiction_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.get(
        APPS, params={"region_code": "440106"}, headers=await login(api, "approver_haizhu")
    )
    refused(response, 403, "forbidden")


async def test_the_publicity_list_holds_the_townships_cases_in_publicity_masked(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    prefix = f"P{uuid.uuid4().hex[:10].upper()}"
    await _cases(sessions, prefix)
    response = await api.get(f"{APPS}/publicity", headers=await login(api, "reviewer_chigang"))
    assert response.status_code == 200, response.text
    notices = response.json()
    assert [n["township_name"] for n in notices] == ["赤岗街道"]
    mine = [e for e in notices[0]["entries"] if e["application_number"].startswith(prefix)]
    assert [e["application_number"] for e in mine] == [f"{prefix}-2"]
    entry = mine[0]
    assert entry["applicant_name_masked"] == "欧**明" and "*" in entry["applicant_id_number_masked"]
    assert entry["ends_at"].startswith("2026-11-12") and entry["round"] == 1
    assert "欧阳小明" not in response.text
    # 五山街道's reviewer: their own (empty) township only.
    other = await api.get(f"{APPS}/publicity", headers=await login(api, "reviewer_wushan"))
    assert prefix not in other.text
    refused(await api.get(f"{APPS}/publicity", headers=await login(api, "clerk_chigang")), 403, "forbidden")


async def test_a_search_by_id_number_is_a_post_within_the_region_for_the_roles_that_may_see_it(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    applicant = id_number(birth="19750505", seq=int(uuid.uuid4().int % 1000))
    prefix = f"I{uuid.uuid4().hex[:10].upper()}"
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    await store_application(sessions, f"{prefix}-1", at, applicant_id_number=applicant)
    await store_application(
        sessions, f"{prefix}-2", at, applicant_id_number=applicant, county_code="440106",
        township_code="440106001", community_code="440106001001",
    )  # fmt: skip
    clerk = await login(api, "clerk_chigang")
    # Full-width digits pasted from a document are the same number.
    wide = "".join(chr(ord(c) + 0xFEE0) for c in applicant)
    found = await api.post(f"{APPS}/search", json={"id_number": wide}, headers=clerk)
    assert found.status_code == 200, found.text
    numbers = [i["application_number"] for i in found.json()["items"]]
    assert numbers == [f"{prefix}-1"]  # not 天河区's, though the same person
    assert applicant not in found.text
    invalid = refused(await api.post(f"{APPS}/search", json={"id_number": applicant[:-1] + "Z"}, headers=clerk),
                      422, "validation_error")  # fmt: skip
    assert invalid["errors"][0]["field"] == "id_number"
    head = await login(api, "head_chigang")
    refused(await api.post(f"{APPS}/search", json={"id_number": applicant}, headers=head), 403, "forbidden")
