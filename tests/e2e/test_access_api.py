"""Roles and jurisdiction at intake and on reads, and the intake fields added with staff login."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support import DIBAO_MATERIALS, Sessions, count_rows, eventually, file_complete_case, login
from tests.factories import application_payload


@pytest.mark.parametrize("username", ["clerk_wushan", "inv_chigang_1", "reviewer_chigang", "operator_haizhu"])
async def test_intake_outside_the_clerks_township_or_by_another_role_is_forbidden_and_stores_nothing(
    api: httpx.AsyncClient, sessions: Sessions, application_number: str, username: str
) -> None:
    headers = await login(api, username)
    response = await api.post(
        "/api/v1/applications", json=application_payload(application_number), headers=headers
    )
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden" and response.json()["message"]
    assert await count_rows(sessions, application_number) == 0


async def test_a_clerk_files_in_any_community_of_the_township_but_not_in_the_neighbouring_one(
    api: httpx.AsyncClient, sessions: Sessions, application_number: str, clerk: dict[str, str]
) -> None:
    other = application_payload(
        application_number,
        region={"county_code": "440105", "township_code": "440105002", "community_code": "440105002001"},
    )
    assert (await api.post("/api/v1/applications", json=other, headers=clerk)).status_code == 403
    assert await count_rows(sessions, application_number) == 0
    second = application_payload(
        application_number,
        region={"county_code": "440105", "township_code": "440105001", "community_code": "440105001002"},
    )
    assert (await api.post("/api/v1/applications", json=second, headers=clerk)).status_code == 201


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("clerk_chigang", True),
        ("inv_chigang_2", True),
        ("inv_haizhu", True),  # county staff see every township of the county
        ("approver_haizhu", True),
        ("supervisor_haizhu", True),
        ("finance_haizhu", True),
        ("clerk_wushan", False),
        ("reviewer_wushan", False),
        ("approver_tianhe", False),
    ],
)
async def test_reads_follow_jurisdiction(
    api: httpx.AsyncClient, clerk: dict[str, str], application_number: str, username: str, allowed: bool
) -> None:
    await file_complete_case(api, clerk, application_number)
    headers = await login(api, username)
    case = await api.get(f"/api/v1/applications/{application_number}", headers=headers)
    timeline = await api.get(f"/api/v1/applications/{application_number}/timeline", headers=headers)
    if allowed:
        assert case.status_code == 200 and timeline.status_code == 200
        assert case.json()["applicant_name_masked"] == "张*明"
    else:
        for response in (case, timeline):
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
            assert "张" not in response.text  # nothing of the case leaks into the refusal
    missing = await api.get("/api/v1/applications/440105-NOPE0002/timeline", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "application_not_found"


async def test_proxy_and_grid_report_channels_require_their_details(
    api: httpx.AsyncClient, sessions: Sessions, application_number: str, clerk: dict[str, str]
) -> None:
    for channel, field in (("proxy", "proxy"), ("grid_report", "grid_report")):
        response = await api.post(
            "/api/v1/applications",
            json=application_payload(application_number, channel=channel),
            headers=clerk,
        )
        assert response.status_code == 422, response.text
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert field in errors and "须填写" in errors[field]
    bad_grid = application_payload(
        application_number, channel="grid_report", grid_report={"grid_code": "网格 1", "reporter": "何网格"}
    )
    response = await api.post("/api/v1/applications", json=bad_grid, headers=clerk)
    assert response.status_code == 422 and "grid_report.grid_code" in response.text
    assert await count_rows(sessions, application_number) == 0

    proxy = application_payload(
        application_number,
        channel="proxy",
        proxy={"name": "陈大文", "relation_or_org": "社区帮办代办员"},
        materials=["身份证明", "家庭收入情况说明"],
        commitment_signed=True,
        staff_relative={"relation": "子女", "staff_position": "赤岗街道办事处工作人员"},
    )
    created = await api.post("/api/v1/applications", json=proxy, headers=clerk)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["channel"] == "proxy"
    assert body["materials_provided"] == ["身份证明", "家庭收入情况说明"]
    assert body["commitment_signed"] is True and body["staff_relative"] is True
    # Resubmitting the same content is still the same case; the extra fields are part of it.
    assert (await api.post("/api/v1/applications", json=proxy, headers=clerk)).status_code == 200
    proxy["commitment_signed"] = False
    assert (await api.post("/api/v1/applications", json=proxy, headers=clerk)).status_code == 409


async def test_missing_materials_are_listed_once_and_become_a_clerk_task(
    api: httpx.AsyncClient, clerk: dict[str, str], application_number: str
) -> None:
    payload = application_payload(application_number, materials=["身份证明"])
    assert (await api.post("/api/v1/applications", json=payload, headers=clerk)).status_code == 201

    async def notice() -> dict[str, object] | None:
        body: dict[str, object] = (
            await api.get(f"/api/v1/applications/{application_number}", headers=clerk)
        ).json()
        return body if body["open_tasks"] else None

    body = await eventually(notice)
    assert body["missing_materials"] == [m for m in DIBAO_MATERIALS if m != "身份证明"]
    [task] = body["open_tasks"]  # type: ignore[misc]
    assert task["task_type"] == "supplement_materials" and task["candidate_role"] == "intake_clerk"
