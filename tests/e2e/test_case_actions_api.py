"""Case-level actions (objection, extension, withdrawal), the timeline, and races that only the
workflow can settle — the workflow's refusals reach the caller with their code and message."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from infra.models import Task
from services.workflow_gateway import rejection
from tests.e2e.support import (
    Sessions,
    case_tasks,
    eventually,
    file_complete_case,
    login,
    refused,
    snapshot,
    verification_tasks,
)


@pytest.fixture
async def case(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> dict[str, Task]:
    await file_complete_case(api, clerk, application_number)
    return await verification_tasks(api, sessions, application_number)


async def test_two_simultaneous_claims_one_wins_and_the_other_is_refused_by_the_workflow(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str
) -> None:
    visit = case["home_visit"].task_id
    first, second = await login(api, "inv_chigang_1"), await login(api, "inv_chigang_2")
    responses = await asyncio.gather(
        api.post(f"/api/v1/tasks/{visit}/claim", headers=first),
        api.post(f"/api/v1/tasks/{visit}/claim", headers=second),
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "task_not_open" and "认领" in loser.json()["message"]
    timeline = (await api.get(f"/api/v1/applications/{application_number}/timeline", headers=first)).json()
    assert [e["kind"] for e in timeline["events"]].count("task_claimed") == 1


async def test_objection_outside_publicity_and_a_second_extension_are_refused_by_the_workflow(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str
) -> None:
    reviewer, approver = await login(api, "reviewer_chigang"), await login(api, "approver_haizhu")
    url = f"/api/v1/applications/{application_number}"
    before = await snapshot(api, reviewer, application_number)

    body = refused(
        await api.post(f"{url}/objections", json={"summary": "邻居反映其有经营收入"}, headers=reviewer),
        409,
        "wrong_stage",
    )
    assert "公示" in body["message"]
    refused(
        await api.post(
            f"{url}/objections",
            json={"summary": "邻居反映其有经营收入"},
            headers=await login(api, "clerk_chigang"),
        ),
        403,
        "forbidden",
    )
    refused(
        await api.post(f"{url}/objections", json={"summary": "短"}, headers=reviewer), 422, "validation_error"
    )
    refused(
        await api.post(
            f"{url}/extend", json={"reason": "跨区核查房产信息"}, headers=await login(api, "approver_tianhe")
        ),
        403,
        "forbidden",
    )
    assert await snapshot(api, reviewer, application_number) == before

    extended = await api.post(f"{url}/extend", json={"reason": "需跨区核查房产信息"}, headers=approver)
    assert extended.status_code == 200, extended.text
    whole = next(lim for lim in extended.json()["limits"] if lim["name"] == "whole_process")
    old = next(lim for lim in before[0]["limits"] if lim["name"] == "whole_process")
    assert extended.json()["whole_process_extended"] is True and whole["deadline"] > old["deadline"]
    after = await snapshot(api, reviewer, application_number)
    body = refused(
        await api.post(f"{url}/extend", json={"reason": "再次延长办理时限"}, headers=approver),
        409,
        "already_extended",
    )
    assert "延长过" in body["message"]
    assert await snapshot(api, reviewer, application_number) == after


async def test_withdrawal_closes_the_case_cancels_its_tasks_and_cannot_be_repeated(
    api: httpx.AsyncClient,
    clerk: dict[str, str],
    case: dict[str, Task],
    sessions: Sessions,
    application_number: str,
) -> None:
    url = f"/api/v1/applications/{application_number}"
    refused(
        await api.post(
            f"{url}/withdraw", json={"reason": "申请人主动撤回"}, headers=await login(api, "inv_chigang_1")
        ),
        403,
        "forbidden",
    )
    refused(
        await api.post(
            f"{url}/withdraw", json={"reason": "申请人主动撤回"}, headers=await login(api, "clerk_wushan")
        ),
        403,
        "forbidden",
    )
    response = await api.post(
        f"{url}/withdraw", json={"reason": "家庭收入已改善，申请人主动撤回"}, headers=clerk
    )
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "withdrawn" and response.json()["open_tasks"] == []

    async def cancelled() -> bool:
        return all(t.status == "cancelled" for t in await case_tasks(sessions, application_number))

    await eventually(cancelled)
    again = await api.post(f"{url}/withdraw", json={"reason": "重复撤回"}, headers=clerk)
    refused(again, 409, "case_closed")
    claim = await api.post(
        f"/api/v1/tasks/{case['home_visit'].task_id}/claim", headers=await login(api, "inv_chigang_1")
    )
    refused(claim, 409, "task_not_open")


async def test_timeline_lists_events_in_order_with_their_actors_and_the_tasks(
    api: httpx.AsyncClient, clerk: dict[str, str], case: dict[str, Task], application_number: str
) -> None:
    investigator = await login(api, "inv_chigang_1")
    visit = case["home_visit"].task_id
    assert (await api.post(f"/api/v1/tasks/{visit}/claim", headers=investigator)).status_code == 200
    response = await api.get(f"/api/v1/applications/{application_number}/timeline", headers=investigator)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    events = body["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    first = events[0]
    assert first["kind"] == "submitted" and "城乡低保" in first["summary"]
    assert first["actor"] == {"username": "clerk_chigang", "role": "intake_clerk", "name": "陈晓敏"}
    kinds = [e["kind"] for e in events]
    assert kinds.index("accepted") < kinds.index("task_opened") < kinds.index("task_claimed")
    # The automatic data check is on the timeline as the system's step, before anyone acted.
    started = events[kinds.index("data_check_started")]
    assert kinds.index("accepted") < kinds.index("data_check_started") < kinds.index("task_claimed")
    assert started["actor"] is None and "税务" in started["summary"]
    claimed = events[kinds.index("task_claimed")]
    assert claimed["actor"] == {"username": "inv_chigang_1", "role": "investigator", "name": "李建华"}
    assert claimed["data"]["task_id"] == visit
    assert events[kinds.index("accepted")]["actor"] is None  # the system's own step
    assert {t["task_type"]: t["status"] for t in body["tasks"]} == {"home_visit": "claimed"}
    assert "张小明" not in response.text  # the timeline never carries the applicant's name in clear


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("TaskNotFound", 404, "task_not_found"),
        ("TaskNotOpen", 409, "task_not_open"),
        ("Forbidden", 403, "forbidden"),
        ("InvalidForm", 422, "invalid_form"),
        ("WrongStage", 409, "wrong_stage"),
        ("SpotCheckPending", 409, "spot_check_pending"),
        ("AlreadyExtended", 409, "already_extended"),
        ("CaseClosed", 409, "case_closed"),
    ],
)
def test_every_workflow_refusal_type_has_its_status_and_code(kind: str, status: int, code: str) -> None:
    error = rejection(WorkflowUpdateFailedError(ApplicationError("本案件已被抽中县级抽查", type=kind)))
    assert (error.status_code, error.code, error.message) == (status, code, "本案件已被抽中县级抽查")
