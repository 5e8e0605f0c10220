"""The task inbox and task actions through the API, against the running application workflow.

Every refusal is checked twice: the HTTP answer (status, code, Chinese message) and that the case
did not move — the workflow's status and the length of its timeline are what they were before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from infra.models import Task
from tests.e2e.support import (
    DIBAO_MATERIALS,
    Sessions,
    events_of,
    file_complete_case,
    inbox,
    login,
    refused,
    snapshot,
    verification_tasks,
    waiting_on,
)
from tests.factories import application_payload

HOME_VISIT_FORM: dict[str, Any] = {
    "investigators": ["李建华", "黄丽娟"],
    "visited_on": "2026-11-23",
    "findings": {
        "housing": "自有住房一套，约四十平方米，无其他房产",
        "property": "无车辆，存款约两千元",
        "income_expenses": "申请人打零工月收入约五百元，配偶无收入",
        "neighbours": "邻居反映情况属实",
    },
    "found_monthly_income_fen": 50_000,
    "signed_form_ref": "HZ-RH-2026-0001",
}


@pytest.fixture
async def case(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> dict[str, Task]:
    """A complete 城乡低保 application of 赤岗街道, waiting on its home visit (the data check runs
    by itself against the departments)."""
    await file_complete_case(api, clerk, application_number)
    return await verification_tasks(api, sessions, application_number)


async def test_the_inbox_lists_the_cases_tasks_for_the_right_roles_only(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str
) -> None:
    visit = case["home_visit"]
    assert visit.candidate_role == "investigator"
    assert visit.region_code == "440105001"
    expected = {visit.task_id}
    for username in ("inv_chigang_1", "inv_chigang_2", "inv_haizhu", "supervisor_haizhu", "operator_haizhu"):
        assert {t["task_id"] for t in await inbox(api, username, application_number)} == expected, username
    for username in (
        "clerk_chigang",
        "reviewer_chigang",
        "head_chigang",
        "approver_haizhu",
        "approver_tianhe",
    ):
        assert await inbox(api, username, application_number) == [], username

    items = await inbox(api, "inv_chigang_1", application_number)
    assert [t["status"] for t in items] == ["open"]
    assert all(t["due_at"] and not t["overdue"] and t["task_label"] for t in items)
    [only] = await inbox(api, "inv_chigang_1", application_number, task_type="home_visit")
    assert only["task_id"] == visit.task_id and only["task_label"] == "入户调查"
    # 信息核对 is automatic: the departments are queried by the workflow, nobody gets a task for it.
    assert await inbox(api, "inv_chigang_1", application_number, task_type="data_check") == []
    assert await inbox(api, "inv_chigang_1", application_number, overdue="true") == []
    assert await inbox(api, "inv_chigang_1", application_number, status="completed") == []
    assert await inbox(api, "inv_chigang_1", application_number, mine="true") == []
    soon = datetime.now(UTC) - timedelta(days=1)
    later = datetime.now(UTC) + timedelta(days=60)
    assert await inbox(api, "inv_chigang_1", application_number, due_before=soon.isoformat()) == []
    assert len(await inbox(api, "inv_chigang_1", application_number, due_before=later.isoformat())) == 1
    paged = await api.get(
        "/api/v1/tasks",
        params={"application_number": application_number, "limit": 1, "offset": 0},
        headers=await login(api, "inv_chigang_1"),
    )
    assert paged.json()["total"] == 1 and len(paged.json()["items"]) == 1
    past_the_end = await api.get(
        "/api/v1/tasks",
        params={"application_number": application_number, "limit": 1, "offset": 1},
        headers=await login(api, "inv_chigang_1"),
    )
    assert past_the_end.json()["total"] == 1 and past_the_end.json()["items"] == []
    too_many = await api.get(
        "/api/v1/tasks", params={"limit": 201}, headers=await login(api, "inv_chigang_1")
    )
    assert too_many.status_code == 422

    detail = await api.get(f"/api/v1/tasks/{visit.task_id}", headers=await login(api, "inv_chigang_2"))
    assert detail.status_code == 200 and detail.json()["task_type"] == "home_visit"
    refused(
        await api.get(f"/api/v1/tasks/{visit.task_id}", headers=await login(api, "clerk_wushan")),
        403,
        "forbidden",
    )
    refused(
        await api.get("/api/v1/tasks/NO-SUCH-TASK", headers=await login(api, "inv_chigang_2")),
        404,
        "task_not_found",
    )


async def test_claim_complete_and_every_refusal_leaves_the_case_unchanged(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str, sessions: Sessions
) -> None:
    visit = case["home_visit"].task_id
    first, second = await login(api, "inv_chigang_1"), await login(api, "inv_chigang_2")
    reviewer, outsider = await login(api, "reviewer_chigang"), await login(api, "approver_tianhe")
    before = await snapshot(api, first, application_number)
    limits = {lim["name"]: lim for lim in before[0]["limits"]}
    assert limits["data_check_start"]["met"] is True  # the departments were asked at once
    assert limits["verification_start"]["met"] is False

    # Wrong role, wrong jurisdiction, oversight role (read-only), unknown task.
    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=reviewer), 403, "forbidden")
    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=outsider), 403, "forbidden")
    supervisor = await login(api, "supervisor_haizhu")
    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=supervisor), 403, "forbidden")
    refused(await api.post("/api/v1/tasks/NO-SUCH-TASK/claim", headers=first), 404, "task_not_found")
    refused(await api.post(f"/api/v1/tasks/{visit}/release", headers=first), 409, "task_not_open")
    assert await snapshot(api, first, application_number) == before

    claimed = await api.post(f"/api/v1/tasks/{visit}/claim", headers=first)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "claimed" and claimed.json()["assignee"] == "inv_chigang_1"
    assert [t["task_id"] for t in await inbox(api, "inv_chigang_1", application_number, mine="true")] == [
        visit
    ]
    after_claim = await snapshot(api, first, application_number)
    assert after_claim[1] == before[1] + 1  # one "task_claimed" event
    limits = {lim["name"]: lim for lim in after_claim[0]["limits"]}
    assert limits["verification_start"]["met"] is True  # claiming starts the visit in time

    # Another investigator: neither claim, complete nor release someone else's task.
    body = refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=second), 409, "task_not_open")
    assert "inv_chigang_1" in body["message"]
    completion = {"outcome": "completed", "form": HOME_VISIT_FORM}
    refused(
        await api.post(f"/api/v1/tasks/{visit}/complete", json=completion, headers=second),
        409,
        "task_not_open",
    )
    refused(await api.post(f"/api/v1/tasks/{visit}/release", headers=second), 409, "task_not_open")
    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=first), 409, "task_not_open")
    assert await snapshot(api, first, application_number) == after_claim

    # A malformed form: field errors in Chinese, nothing recorded.
    one_investigator = {**HOME_VISIT_FORM, "investigators": ["李建华"], "found_monthly_income_fen": -1}
    del one_investigator["findings"]
    body = refused(
        await api.post(
            f"/api/v1/tasks/{visit}/complete",
            json={"outcome": "completed", "form": one_investigator},
            headers=first,
        ),
        422,
        "invalid_form",
    )
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert {"investigators", "findings", "found_monthly_income_fen"} <= set(fields), fields
    assert "至少" in fields["investigators"] and "必填" in fields["findings"]
    body = refused(
        await api.post(
            f"/api/v1/tasks/{visit}/complete", json={"outcome": "approve", "form": {}}, headers=first
        ),
        422,
        "invalid_form",
    )
    assert body["errors"][0]["field"] == "outcome" and "completed" in body["errors"][0]["message"]
    assert await snapshot(api, first, application_number) == after_claim

    # Released, the visit is open to the pool again.
    released = await api.post(f"/api/v1/tasks/{visit}/release", headers=first)
    assert released.status_code == 200 and released.json()["status"] == "open"
    assert released.json()["assignee"] is None
    assert await inbox(api, "inv_chigang_1", application_number, mine="true") == []

    # An open task is completed without a claim; completing it again is refused.
    done = await api.post(f"/api/v1/tasks/{visit}/complete", json=completion, headers=second)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["completed_by"] == "inv_chigang_2"
    assert done.json()["form"]["signed_form_ref"] == HOME_VISIT_FORM["signed_form_ref"]

    # With the visit done and the departments' data in, the case moves on to democratic review
    # (城乡低保, 海珠区): wait for the assessment and the review task, then the case is quiet again.
    [assessed] = await events_of(sessions, application_number, "assessed")
    assert assessed.data["monthly_income_fen"] == HOME_VISIT_FORM["found_monthly_income_fen"]
    review_task = await waiting_on(sessions, application_number, "democratic_review")
    after_visit = await snapshot(api, first, application_number)
    body = refused(
        await api.post(f"/api/v1/tasks/{visit}/complete", json=completion, headers=second),
        409,
        "task_not_open",
    )
    assert "办结" in body["message"]
    refused(await api.post(f"/api/v1/tasks/{visit}/claim", headers=first), 409, "task_not_open")
    refused(await api.post(f"/api/v1/tasks/{visit}/release", headers=second), 409, "task_not_open")
    assert await snapshot(api, first, application_number) == after_visit
    [row] = await inbox(api, "inv_chigang_2", application_number, status="completed")
    assert row["task_id"] == visit and row["outcome"] == "completed"

    [review] = await inbox(api, "reviewer_chigang", application_number)
    assert review["task_id"] == review_task.task_id
    assert review["task_type"] == "democratic_review" and review["candidate_role"] == "township_reviewer"
    assert after_visit[0]["stage"] == "democratic_review"
    assert await inbox(api, "inv_chigang_1", application_number) == []


async def test_a_filed_for_record_case_is_visited_by_county_investigators_only(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> None:
    payload = application_payload(
        application_number,
        materials=DIBAO_MATERIALS,
        staff_relative={"relation": "配偶", "staff_position": "赤岗街道民政办工作人员"},
    )
    assert (await api.post("/api/v1/applications", json=payload, headers=clerk)).status_code == 201
    tasks = await verification_tasks(api, sessions, application_number)
    visit = tasks["home_visit"]
    assert visit.region_code == "440105"
    assert await inbox(api, "inv_chigang_1", application_number) == []  # no data-check task either
    assert [t["task_type"] for t in await inbox(api, "inv_haizhu", application_number)] == ["home_visit"]
    township = await login(api, "inv_chigang_1")
    body = refused(await api.post(f"/api/v1/tasks/{visit.task_id}/claim", headers=township), 403, "forbidden")
    assert "管辖" in body["message"]
    county = await login(api, "inv_haizhu")
    assert (await api.post(f"/api/v1/tasks/{visit.task_id}/claim", headers=county)).status_code == 200
