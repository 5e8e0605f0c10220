"""The case read serves the workflow's view from the database (its projection and its task rows),
not from a query that waits for the worker: it says the same as the workflow, it answers while no
worker runs, and a case that projected nothing yet is read live once and then from the database.
(A read within moments of a change asks the workflow: tests/e2e/test_log_privacy.py reads the
approved stage right after the approval.)"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from infra.models import CaseProjection
from infra.settings import load_settings
from services import case_view
from services.workflow_gateway import WorkflowGateway
from tests.e2e.support import Sessions, eventually, file_complete_case, login, verification_tasks

LIVE_FIELDS = (
    "stage", "deadline", "deadline_provisional", "overdue", "limits", "missing_materials",
    "proposed_amount_fen", "approved_amount_fen", "category", "publicity_rounds", "objections",
    "whole_process_extended",
)  # fmt: skip


@pytest.fixture(autouse=True)
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change counts as settled: a read right after a change asks the workflow itself (the
    next record may not be written yet), and these tests are about the reads that do not."""
    monkeypatch.setattr(case_view, "RECENT_CHANGE", timedelta(0))


async def test_the_case_read_comes_from_the_database_and_says_what_the_workflow_says(
    api: httpx.AsyncClient, sessions: Sessions, clerk: dict[str, str], application_number: str,
    dev_env: WorkflowEnvironment,
) -> None:  # fmt: skip
    await file_complete_case(api, clerk, application_number)
    await verification_tasks(api, sessions, application_number)
    reviewer = await login(api, "reviewer_chigang")
    case = (await api.get(f"/api/v1/applications/{application_number}", headers=reviewer)).json()
    assert case["status_source"] == "database" and case["live"] is True
    live = await WorkflowGateway(dev_env.client).status(application_number)
    assert live is not None and case["stage"] == live.stage.value == "verification"
    assert [(lim["name"], lim["due_date"], lim["met"]) for lim in case["limits"]] == [
        (lim.name, lim.due_date, lim.met) for lim in live.limits
    ]
    assert [t["task_id"] for t in case["open_tasks"]] == [t.task_id for t in live.open_tasks]

    # A claim changes the view: the answer and the next read both show it.
    [visit] = [t for t in case["open_tasks"] if t["task_type"] == "home_visit"]
    investigator = await login(api, "inv_chigang_1")
    claimed = await api.post(f"/api/v1/tasks/{visit['task_id']}/claim", headers=investigator)
    assert claimed.status_code == 200, claimed.text
    again = (await api.get(f"/api/v1/applications/{application_number}", headers=reviewer)).json()
    [row] = [t for t in again["open_tasks"] if t["task_id"] == visit["task_id"]]
    assert row["status"] == "claimed" and row["assignee"] == "inv_chigang_1"


async def test_the_case_page_answers_from_the_database_while_no_worker_runs(
    api: httpx.AsyncClient, sessions: Sessions, clerk: dict[str, str], application_number: str,
    dev_env: WorkflowEnvironment, sqlite_url: str,
) -> None:  # fmt: skip
    await file_complete_case(api, clerk, application_number)
    await verification_tasks(api, sessions, application_number)
    with_worker = (await api.get(f"/api/v1/applications/{application_number}", headers=clerk)).json()
    # The same database and server, but a task queue no worker polls: a live query could not answer.
    settings = load_settings(database_url=sqlite_url, temporal_task_queue="no-worker-here")
    app = create_app(settings, session_factory=sessions, temporal_client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as alone:
            headers = await login(alone, "clerk_chigang")
            read = (await alone.get(f"/api/v1/applications/{application_number}", headers=headers)).json()
    assert read["status_source"] == "database"
    assert {k: read[k] for k in LIVE_FIELDS} == {k: with_worker[k] for k in LIVE_FIELDS}


async def test_a_case_with_no_projection_is_read_live_once_then_from_the_database(
    api: httpx.AsyncClient, sessions: Sessions, clerk: dict[str, str], application_number: str
) -> None:
    await file_complete_case(api, clerk, application_number)
    await verification_tasks(api, sessions, application_number)
    # As a case started before projections existed, and unchanged since, would be.
    async with sessions.begin() as session:
        await session.execute(
            delete(CaseProjection).where(CaseProjection.application_number == application_number)
        )
    first = (await api.get(f"/api/v1/applications/{application_number}", headers=clerk)).json()
    assert first["status_source"] == "workflow" and first["stage"] == "verification"
    second = (await api.get(f"/api/v1/applications/{application_number}", headers=clerk)).json()
    assert second["status_source"] == "database"
    assert {k: second[k] for k in LIVE_FIELDS} == {k: first[k] for k in LIVE_FIELDS}

    async def seq() -> int | None:
        async with sessions() as session:
            return await session.scalar(
                select(CaseProjection.seq).where(CaseProjection.application_number == application_number)
            )

    assert await seq() == 0  # the backfill; the workflow's own next change replaces it
    tasks = await verification_tasks(api, sessions, application_number)
    investigator = await login(api, "inv_chigang_1")
    claim = await api.post(f"/api/v1/tasks/{tasks['home_visit'].task_id}/claim", headers=investigator)
    assert claim.status_code == 200, claim.text

    async def replaced() -> int | None:
        return await seq() or None

    assert await eventually(replaced) > 0
