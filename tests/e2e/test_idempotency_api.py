"""Idempotency-Key on the action routes (issue 15, item 8), on the real dev server: a request
retried with its key (after a 503, a dropped connection) is one action. The key becomes the
workflow Update's id, scoped by action, target, caller and body."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from infra.models import Task
from tests.e2e.support import (
    Sessions,
    file_complete_case,
    login,
    refused,
    snapshot,
    verification_tasks,
)
from tests.e2e.test_dibao_through_api import (
    HOME_VISIT_FORM,
    _household_unknown_to_the_departments,  # noqa: F401 - the walk's figures assume it (autouse)
    walk_to_publicity,
)


def keyed(headers: dict[str, str], key: str | bytes) -> dict[str, Any]:
    return {**headers, "Idempotency-Key": key}


async def kinds(api: httpx.AsyncClient, headers: dict[str, str], number: str) -> list[str]:
    timeline = await api.get(f"/api/v1/applications/{number}/timeline", headers=headers)
    assert timeline.status_code == 200, timeline.text
    return [e["kind"] for e in timeline.json()["events"]]


@pytest.fixture
async def case(
    api: httpx.AsyncClient, clerk: dict[str, str], sessions: Sessions, application_number: str
) -> dict[str, Task]:
    await file_complete_case(api, clerk, application_number)
    return await verification_tasks(api, sessions, application_number)


async def test_a_retried_objection_is_counted_once(api: httpx.AsyncClient, application_number: str) -> None:
    desk = await walk_to_publicity(api, application_number)
    url = f"/api/v1/applications/{application_number}/objections"
    headers = keyed(await desk.headers("reviewer_chigang"), str(uuid.uuid4()))
    body = {"summary": "邻居反映申请人在菜市场经营摊位，有固定收入"}

    first = await api.post(url, json=body, headers=headers)
    assert first.status_code == 200, first.text
    # The answer was lost (a 503 at the proxy, say): the page sends the same request again.
    again = await api.post(url, json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["objections"] == 1 == first.json()["objections"]
    case = await desk.case()
    assert case["objections"] == 1
    assert (await kinds(api, headers, application_number)).count("objection") == 1


async def test_a_retried_claim_answers_200_and_keys_of_different_users_never_collide(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str
) -> None:
    visit = case["home_visit"].task_id
    first, second = await login(api, "inv_chigang_1"), await login(api, "inv_chigang_2")
    key = "retry-" + uuid.uuid4().hex
    claim = f"/api/v1/tasks/{visit}/claim"

    claimed = await api.post(claim, headers=keyed(first, key))
    assert claimed.status_code == 200, claimed.text
    retried = await api.post(claim, headers=keyed(first, key))
    assert retried.status_code == 200, retried.text
    assert retried.json() == claimed.json() and retried.json()["assignee"] == "inv_chigang_1"
    assert (await kinds(api, first, application_number)).count("task_claimed") == 1
    # Without a key a second claim is a second action, refused as before.
    refused(await api.post(claim, headers=first), 409, "task_not_open")
    # Someone else's claim with the same key is not the first user's claim.
    refused(await api.post(claim, headers=keyed(second, key)), 409, "task_not_open")

    released = await api.post(f"/api/v1/tasks/{visit}/release", headers=keyed(first, "release-1"))
    assert released.status_code == 200 and released.json()["assignee"] is None, released.text
    theirs = await api.post(claim, headers=keyed(second, key))
    assert theirs.status_code == 200 and theirs.json()["assignee"] == "inv_chigang_2", theirs.text

    # A retried completion: done once, answered twice.
    complete = f"/api/v1/tasks/{visit}/complete"
    form = {"outcome": "completed", "form": HOME_VISIT_FORM}
    done = await api.post(complete, json=form, headers=keyed(second, "visit-done"))
    assert done.status_code == 200, done.text
    again = await api.post(complete, json=form, headers=keyed(second, "visit-done"))
    assert again.status_code == 200 and again.json() == done.json(), again.text
    assert (await kinds(api, first, application_number)).count("task_completed") == 1


@pytest.mark.parametrize(
    "key",
    ["", "a" * 129, "two words", "键".encode(), "tab\there"],
    ids=["empty", "too-long", "space", "non-ascii", "control"],
)
async def test_an_invalid_idempotency_key_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, case: dict[str, Task], application_number: str, key: str | bytes
) -> None:
    investigator = await login(api, "inv_chigang_1")
    before = await snapshot(api, investigator, application_number)
    response = await api.post(
        f"/api/v1/tasks/{case['home_visit'].task_id}/claim", headers=keyed(investigator, key)
    )
    body = refused(response, 422, "invalid_idempotency_key")
    assert "Idempotency-Key" in body["message"] and "ASCII" in body["message"]
    assert await snapshot(api, investigator, application_number) == before
    # The longest key allowed is taken.
    ok = await api.post(
        f"/api/v1/tasks/{case['home_visit'].task_id}/claim", headers=keyed(investigator, "k" * 128)
    )
    assert ok.status_code == 200, ok.text
