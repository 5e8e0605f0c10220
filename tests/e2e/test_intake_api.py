"""Intake through the API on the real dev server: validation, idempotency, workflow, search attributes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from infra.models import Application
from infra.settings import load_settings
from tests.conftest import temporal_cli
from tests.factories import application_payload, with_wrong_check_char

Sessions = async_sessionmaker[AsyncSession]


async def count_rows(sessions: Sessions, number: str) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Application).where(Application.application_number == number)
            )
            or 0
        )


async def list_ids(client: Client, query: str) -> list[str]:
    return [wf.id async for wf in client.list_workflows(query)]


async def wait_listed(client: Client, query: str, workflow_id: str) -> list[str]:
    # Visibility is eventually consistent, even on the dev server.
    for _ in range(100):
        ids = await list_ids(client, query)
        if workflow_id in ids:
            return ids
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} not found by {query!r}")


async def test_post_creates_case_starts_workflow_and_is_found_by_search_attributes(
    api: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    sessions: Sessions,
    application_number: str,
    clerk: dict[str, str],
) -> None:
    response = await api.post(
        "/api/v1/applications", json=application_payload(application_number), headers=clerk
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert body["stage"] == "intake" and body["stage_label"] == "受理"
    assert body["workflow_id"] == f"application-{application_number}"
    assert body["applicant_name_masked"] == "张*明"
    assert body["applicant_id_number_masked"].startswith("4401") and "*" in body["applicant_id_number_masked"]
    assert body["household_size"] == 2

    query = f"Stage='intake' AND CountyCode='440105' AND AssistanceType='dibao' AND WorkflowId='{body['workflow_id']}'"
    assert await wait_listed(dev_env.client, query, body["workflow_id"]) == [body["workflow_id"]]

    got = (await api.get(f"/api/v1/applications/{application_number}", headers=clerk)).json()
    assert got["stage"] == "intake" and got["stored_stage"] == "intake"
    assert got["created"] is False


async def test_resubmission_returns_the_existing_case_and_never_starts_a_second_workflow(
    api: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    sessions: Sessions,
    application_number: str,
    clerk: dict[str, str],
) -> None:
    payload = application_payload(application_number)
    first = await api.post("/api/v1/applications", json=payload, headers=clerk)
    # A double click: two identical submissions at once, then a third later.
    second, third = await asyncio.gather(
        api.post("/api/v1/applications", json=payload, headers=clerk),
        api.post("/api/v1/applications", json=payload, headers=clerk),
    )
    assert first.status_code == 201
    assert second.status_code == 200 and third.status_code == 200
    assert second.json()["accepted_at"] == first.json()["accepted_at"]
    assert await count_rows(sessions, application_number) == 1

    workflow_id = f"application-{application_number}"
    runs = await wait_listed(dev_env.client, f"WorkflowId='{workflow_id}'", workflow_id)
    assert len(runs) == 1


async def test_same_number_with_different_content_is_a_conflict_and_keeps_the_original(
    api: httpx.AsyncClient, sessions: Sessions, application_number: str, clerk: dict[str, str]
) -> None:
    assert (
        await api.post("/api/v1/applications", json=application_payload(application_number), headers=clerk)
    ).status_code == 201
    other = application_payload(application_number, assistance_type="tekun")
    response = await api.post("/api/v1/applications", json=other, headers=clerk)
    assert response.status_code == 409
    assert response.json()["code"] == "application_number_conflict"
    got = (await api.get(f"/api/v1/applications/{application_number}", headers=clerk)).json()
    assert got["assistance_type"] == "dibao"


def _fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error" and body["message"]
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("mutate", "field", "message_part"),
    [
        (lambda p: p.pop("applicant"), "applicant", "必填"),
        (lambda p: p.update(assistance_type="cash"), "assistance_type", "可选值"),
        (lambda p: p["members"][0].update(monthly_income_fen="很多"), "members.0.monthly_income_fen", "整数"),
        (
            lambda p: p["members"][1].update(monthly_income_fen=-100),
            "members.1.monthly_income_fen",
            "不能小于",
        ),
        (lambda p: p["members"][1].update(monthly_income_fen=12.5), "members.1.monthly_income_fen", "整数"),
        (
            lambda p: p["applicant"].update(id_number=with_wrong_check_char(p["applicant"]["id_number"])),
            "applicant.id_number",
            "校验位",
        ),
        (lambda p: p["applicant"].update(id_number="44010519801301123X"), "applicant.id_number", "出生日期"),
        (lambda p: p["applicant"].update(phone="12345"), "applicant.phone", "电话"),
        (lambda p: p.update(green_channel="maybe"), "green_channel", "是/否"),
        (lambda p: p.update(members=[]), "members", "至少"),
        (lambda p: p.update(surprise=1), "surprise", "不允许"),
    ],
)
async def test_bad_input_gets_422_with_chinese_field_errors_and_stores_nothing(
    api: httpx.AsyncClient,
    sessions: Sessions,
    application_number: str,
    mutate: Any,
    field: str,
    message_part: str,
    clerk: dict[str, str],
) -> None:
    payload = application_payload(application_number)
    mutate(payload)
    errors = _fields(await api.post("/api/v1/applications", json=payload, headers=clerk))
    assert field in errors, errors
    assert message_part in errors[field]
    assert await count_rows(sessions, application_number) == 0


async def test_cross_field_rules_are_explained(
    api: httpx.AsyncClient, application_number: str, clerk: dict[str, str]
) -> None:
    payload = application_payload(application_number)
    payload["members"] = [payload["members"][1]]  # applicant missing from the household
    assert (
        "申请人须列入家庭成员"
        in _fields(await api.post("/api/v1/applications", json=payload, headers=clerk))["body"]
    )

    payload = application_payload(application_number)
    payload["region"]["township_code"] = "440106001"
    errors = _fields(await api.post("/api/v1/applications", json=payload, headers=clerk))
    assert "不属于" in errors["region"]

    payload = application_payload(application_number)
    payload["region"] = {
        "county_code": "440199",
        "township_code": "440199001",
        "community_code": "440199001001",
    }
    response = await api.post("/api/v1/applications", json=payload, headers=clerk)
    assert response.status_code == 422 and response.json()["code"] == "unknown_region"


async def test_malformed_json_and_unknown_case(api: httpx.AsyncClient, clerk: dict[str, str]) -> None:
    response = await api.post(
        "/api/v1/applications", content=b"{not json", headers={**clerk, "content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    missing = await api.get("/api/v1/applications/440105-NOPE0001", headers=clerk)
    assert missing.status_code == 404 and missing.json()["code"] == "application_not_found"


async def test_case_is_kept_when_temporal_is_down_and_resubmission_starts_it_once(
    api: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    sessions: Sessions,
    sqlite_url: str,
    task_queue: str,
    application_number: str,
    clerk: dict[str, str],
) -> None:
    # A second real dev server that goes down after the API connected to it: an outage.
    doomed = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
    )
    dead = doomed.client
    await doomed.shutdown()
    outage_app = create_app(
        load_settings(database_url=sqlite_url, temporal_task_queue=task_queue),
        session_factory=sessions,
        temporal_client=dead,
    )
    payload = application_payload(application_number)
    async with outage_app.router.lifespan_context(outage_app):
        transport = httpx.ASGITransport(app=outage_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as down:
            response = await down.post("/api/v1/applications", json=payload, headers=clerk)
            # Reads still answer from the stored row while the workflow service is down.
            stored = await down.get(f"/api/v1/applications/{application_number}", headers=clerk)
    assert response.status_code == 503
    assert response.json()["code"] == "workflow_unavailable"
    assert await count_rows(sessions, application_number) == 1
    assert stored.status_code == 200, stored.text
    assert stored.json()["live"] is False and stored.json()["stage"] == "intake"
    assert stored.json()["deadline"] is None and stored.json()["open_tasks"] == []

    again = await api.post("/api/v1/applications", json=payload, headers=clerk)
    assert again.status_code == 200 and again.json()["stage"] == "intake"
    workflow_id = f"application-{application_number}"
    assert len(await wait_listed(dev_env.client, f"WorkflowId='{workflow_id}'", workflow_id)) == 1
