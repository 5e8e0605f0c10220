"""A household the departments know nothing against: through the API to the county's approval,
with its per-capita income computed by the data check. The same API, worker and database as the
other end-to-end tests, on the time-skipping server so that the 7-working-day publicity passes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.data_check import AdapterFactory
from api.app import create_app
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.settings import load_settings
from tests.conftest import dated_test_server
from tests.e2e.support import DIBAO_MATERIALS, login
from tests.e2e.test_dibao_through_api import HOME_VISIT_FORM, OPINION_FORM, REVIEW_FORM
from tests.factories import id_number
from tests.workflows.harness import beijing
from workers.build import WorkerResources, build_worker


async def open_task(
    api: httpx.AsyncClient, headers: dict[str, str], number: str, task_type: str
) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            page = await api.get("/api/v1/tasks", params={"application_number": number}, headers=headers)
            found = [t for t in page.json()["items"] if t["task_type"] == task_type]
            if found:
                return found[0]
            await asyncio.sleep(0.1)


async def complete(
    api: httpx.AsyncClient, headers: dict[str, str], task: dict[str, Any], outcome: str, form: dict[str, Any]
) -> None:
    response = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete", json={"outcome": outcome, "form": form}, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_clean_household_reaches_approval_with_its_per_capita_income(
    sessions: async_sessionmaker[AsyncSession], sqlite_url: str, task_queue: str,
    department_adapters: AdapterFactory, application_number: str,
) -> None:  # fmt: skip
    head, spouse = id_number(birth="19720606", seq=611), id_number(birth="19740707", seq=612)
    members = [
        {"name": "刘建华", "id_number": head, "relation": "self", "monthly_income_fen": 40_000},
        {"name": "陈丽", "id_number": spouse, "relation": "spouse", "monthly_income_fen": 0},
    ]
    settings = load_settings(database_url=sqlite_url, temporal_task_queue=task_queue)
    async with dated_test_server(beijing(2026, 10, 12, 9)) as env:
        app = create_app(settings, session_factory=sessions, temporal_client=env.client)
        resources = WorkerResources(
            sessions,
            load_policy_book(settings.policy_file),
            department_adapters,
            pii=make_pii_vault(settings),
        )
        async with build_worker(env.client, task_queue, resources), app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=30) as api:
                clerk = await login(api, "clerk_chigang")
                filed = await api.post("/api/v1/applications", headers=clerk, json={
                    "application_number": application_number, "assistance_type": "dibao", "channel": "walk_in",
                    "region": {"county_code": "440105", "township_code": "440105001", "community_code": "440105001001"},
                    "applicant": {"name": "刘建华", "id_number": head, "phone": "13700001111"},
                    "members": members, "materials": DIBAO_MATERIALS, "reason": "夫妻二人，收入微薄",
                })  # fmt: skip
                assert filed.status_code == 201, filed.text
                investigator = await login(api, "inv_chigang_1")
                visit = await open_task(api, investigator, application_number, "home_visit")
                await complete(
                    api,
                    investigator,
                    visit,
                    "completed",
                    {**HOME_VISIT_FORM, "found_monthly_income_fen": 40_000},
                )
                reviewer = await login(api, "reviewer_chigang")
                await complete(
                    api,
                    reviewer,
                    await open_task(api, reviewer, application_number, "democratic_review"),
                    "completed",
                    REVIEW_FORM,
                )
                await complete(
                    api,
                    reviewer,
                    await open_task(api, reviewer, application_number, "township_opinion"),
                    "recommend_approve",
                    OPINION_FORM,
                )

                await env.sleep(timedelta(days=12))  # the publicity period, over a weekend or two
                approver = await login(api, "approver_haizhu")
                approval = await open_task(api, approver, application_number, "county_approval")
                case = (await api.get(f"/api/v1/applications/{application_number}", headers=approver)).json()
                assert case["stage"] == "approval" and approval["candidate_role"] == "county_approver"
                # 400 元 ÷ 2 = 200 元 per person (the departments found nothing more): (1170 − 200) × 2.
                assert case["proposed_amount_fen"] == (117_000 - 20_000) * 2
                timeline = (
                    await api.get(f"/api/v1/applications/{application_number}/timeline", headers=approver)
                ).json()
                [assessed] = [e for e in timeline["events"] if e["kind"] == "assessed"]
                assert assessed["data"]["per_capita_income_fen"] == 20_000
                assert "无预警" in assessed["summary"]
                assert not [e for e in timeline["events"] if e["kind"] == "warning"]
