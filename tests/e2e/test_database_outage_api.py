"""The application database unreachable (restarting, failed over, its host down): the API answers
503 with a machine-readable code and a Chinese message that tells the clerk what to do, as it does
when the workflow service is down — never a bare 500 "Internal Server Error". Found by the
database drill (bench/drill_database_restart.py), where every intake during the restart got a 500.

The database here is a PostgreSQL URL on a port nobody listens on: what the API meets while the
server restarts (connection refused)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import issue_token
from domain.staff import Role
from infra.settings import load_settings
from tests.e2e.support import DIBAO_MATERIALS
from tests.factories import application_payload


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # free again once closed: nobody listens there


@pytest_asyncio.fixture
async def down_api(dev_env: WorkflowEnvironment) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    url = f"postgresql+asyncpg://sa@127.0.0.1:{_closed_port()}/social_assistance"
    settings = load_settings(database_url=url)
    app = create_app(settings, temporal_client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield client, settings.jwt_secret


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == "database_unavailable", body
    assert "数据库暂时不可用" in body["message"] and "不会重复办理" in body["message"], body
    assert response.headers.get("retry-after"), response.headers


async def test_sign_in_while_the_database_is_down_answers_503_with_its_code(
    down_api: tuple[httpx.AsyncClient, str],
) -> None:
    api, _ = down_api
    token = await api.post("/api/v1/auth/token", data={"username": "clerk_chigang", "password": "x"})
    _assert_unavailable(token)


async def test_intake_while_the_database_is_down_answers_503_and_says_to_resubmit(
    down_api: tuple[httpx.AsyncClient, str], application_number: str
) -> None:
    api, secret = down_api
    token = issue_token(secret, "clerk_chigang", Role.INTAKE_CLERK, "440105001", timedelta(minutes=10))
    payload = application_payload(application_number, materials=DIBAO_MATERIALS)
    created = await api.post(
        "/api/v1/applications", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    _assert_unavailable(created)
