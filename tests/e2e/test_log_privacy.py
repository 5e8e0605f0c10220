"""A whole case — intake, resubmission, the departments' data check, home visit, democratic review,
opinion, publicity, the full personal record read, approval — through the API and a worker, with
every logger of the process at DEBUG (SQL statements, HTTP clients, the Temporal SDK, the
department simulator): the applicant's ID number and phone appear in no log record.

On the time-skipping server, so that the 7-working-day publicity passes; the same API, worker and
database as the other end-to-end tests. The log redaction is installed exactly as the entry
points install it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.data_check import AdapterFactory
from api.app import create_app
from infra.logging_setup import install_log_redaction
from infra.pii import make_pii_vault
from infra.policy_config import load_policy_book
from infra.settings import load_settings
from tests.conftest import dated_test_server
from tests.e2e.support import login
from tests.e2e.test_clean_household_to_approval import complete, open_task
from tests.e2e.test_dibao_through_api import HOME_VISIT_FORM, OPINION_FORM, REVIEW_FORM
from tests.e2e.test_personal_data_api import household, secrets_of
from tests.workflows.harness import beijing
from workers.build import WorkerResources, build_worker


@pytest.fixture
def redacted_debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    factory = logging.getLogRecordFactory()
    root_filters = list(logging.getLogger().filters)
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        logging.setLogRecordFactory(factory)
        logging.getLogger().filters[:] = root_filters


async def test_a_whole_case_at_debug_level_logs_no_id_number_or_phone(
    redacted_debug_logs: pytest.LogCaptureFixture,
    sessions: async_sessionmaker[AsyncSession],
    sqlite_url: str,
    task_queue: str,
    department_adapters: AdapterFactory,
    application_number: str,
) -> None:
    body = household(application_number)
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
                assert (await api.post("/api/v1/applications", json=body, headers=clerk)).status_code == 201
                assert (await api.post("/api/v1/applications", json=body, headers=clerk)).status_code == 200
                conflicting = {**body, "reason": "另一份内容"}
                assert (
                    await api.post("/api/v1/applications", json=conflicting, headers=clerk)
                ).status_code == 409

                investigator = await login(api, "inv_chigang_1")
                visit = await open_task(api, investigator, application_number, "home_visit")
                await complete(
                    api,
                    investigator,
                    visit,
                    "completed",
                    {**HOME_VISIT_FORM, "found_monthly_income_fen": 30_000},
                )
                reviewer = await login(api, "reviewer_chigang")
                review = await open_task(api, reviewer, application_number, "democratic_review")
                await complete(api, reviewer, review, "completed", REVIEW_FORM)
                opinion = await open_task(api, reviewer, application_number, "township_opinion")
                await complete(api, reviewer, opinion, "recommend_approve", OPINION_FORM)
                await env.sleep(timedelta(days=12))  # publicity

                approver = await login(api, "approver_haizhu")
                record = await api.get(
                    f"/api/v1/applications/{application_number}/personal-data", headers=approver
                )
                assert record.status_code == 200 and record.json()["applicant"] == body["applicant"]
                approval = await open_task(api, approver, application_number, "county_approval")
                await complete(
                    api, approver, approval, "approve", {"opinion": "经审核，同意纳入低保", "category": "B"}
                )
                case = (await api.get(f"/api/v1/applications/{application_number}", headers=approver)).json()
                assert case["stage"] in {"approved", "enrolled"}, case["stage"]

    # Control: a careless log line is masked too (what would protect us from the next one).
    logging.getLogger("activities.careless").debug(
        "member %s phone %s", *secrets_of(body)[1:2], body["applicant"]["phone"]
    )
    records = redacted_debug_logs.records
    assert any(r.name == "activities.careless" and "****" in r.getMessage() for r in records)
    # The capture saw the case: the SDK, the database and the HTTP clients all logged at DEBUG.
    loggers = {r.name.split(".")[0] for r in records}
    assert {"temporalio", "httpx"} <= loggers or len(records) > 100, loggers
    assert any(application_number in r.getMessage() for r in records)
    text = redacted_debug_logs.text
    for logged in records:
        text += logged.getMessage() + (logged.exc_text or "") + (logged.stack_info or "") + repr(vars(logged))
    for secret in secrets_of(body):
        assert secret not in text, secret
