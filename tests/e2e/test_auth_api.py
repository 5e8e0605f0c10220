"""Staff login and token checks on the API: every business route asks for a valid bearer token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from api.auth import hash_password, issue_token, verify_password
from domain.staff import Role
from infra.models import Staff
from infra.settings import load_settings
from tests.e2e.support import Sessions, login

PROTECTED = [
    ("GET", "/api/v1/applications/440105-ANY00001"),
    ("GET", "/api/v1/applications/440105-ANY00001/timeline"),
    ("POST", "/api/v1/applications"),
    ("GET", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks/440105-ANY00001-T01"),
    ("POST", "/api/v1/tasks/440105-ANY00001-T01/claim"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/admin/calendar/2027"),
    ("PUT", "/api/v1/admin/calendar/2027"),
    ("GET", "/api/v1/auth/me"),
]


def _assert_invalid_token(response: httpx.Response, code: str = "invalid_token") -> None:
    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert response.headers["www-authenticate"] == "Bearer"


async def test_login_returns_a_bearer_token_that_identifies_the_staff_member(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/auth/token", data={"username": "inv_chigang_1", "password": "demo-2026"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == load_settings().jwt_ttl_minutes * 60
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "inv_chigang_1",
        "display_name": "李建华",
        "role": "investigator",
        "role_label": "入户调查员",
        "region_code": "440105001",
        "region_name": "赤岗街道",
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("clerk_chigang", "wrong-password"), ("nobody_here", "demo-2026"), ("clerk_chigang", "DEMO-2026")],
)
async def test_wrong_password_or_unknown_user_gets_one_and_the_same_answer(
    api: httpx.AsyncClient, username: str, password: str
) -> None:
    response = await api.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json() == {"code": "invalid_credentials", "message": "用户名或密码错误"}


async def test_an_inactive_account_cannot_log_in_nor_use_an_earlier_token(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    async with sessions.begin() as session:
        staff = await session.scalar(select(Staff).where(Staff.username == "retired_clerk"))
        if staff is None:
            session.add(
                Staff(
                    username="retired_clerk",
                    display_name="赵退休",
                    password_hash=hash_password("demo-2026"),
                    role=Role.INTAKE_CLERK.value,
                    region_code="440105001",
                    active=True,
                )
            )
        else:
            staff.active = True
    headers = await login(api, "retired_clerk")
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 200

    async with sessions.begin() as session:
        staff = await session.scalar(select(Staff).where(Staff.username == "retired_clerk"))
        assert staff is not None
        staff.active = False
    response = await api.post(
        "/api/v1/auth/token", data={"username": "retired_clerk", "password": "demo-2026"}
    )
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    _assert_invalid_token(await api.get("/api/v1/auth/me", headers=headers))


async def test_expired_forged_and_malformed_tokens_are_refused(api: httpx.AsyncClient) -> None:
    settings = load_settings()
    expired = issue_token(
        settings.jwt_secret,
        "clerk_chigang",
        Role.INTAKE_CLERK,
        "440105001",
        timedelta(minutes=30),
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    response = await api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {expired}"})
    _assert_invalid_token(response)
    assert "过期" in response.json()["message"]

    forged = issue_token(
        "another-secret-of-sufficient-length-0123456789",
        "operator_haizhu",
        Role.OPERATOR,
        "440105",
        timedelta(minutes=30),
    )
    _assert_invalid_token(await api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {forged}"}))
    _assert_invalid_token(await api.get("/api/v1/tasks", headers={"Authorization": "Bearer not.a.jwt"}))


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_business_route_needs_a_token(api: httpx.AsyncClient, method: str, path: str) -> None:
    response = await api.request(method, path, json={})
    _assert_invalid_token(response, code="not_authenticated")


async def test_health_docs_and_schema_stay_public(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).status_code == 200
    assert (await api.get("/docs")).status_code == 200
    schema = (await api.get("/openapi.json")).json()
    assert "/api/v1/tasks/{task_id}/complete" in schema["paths"]


def test_password_hashes_are_salted_scrypt_and_verify_in_constant_time() -> None:
    first, second = hash_password("demo-2026"), hash_password("demo-2026")
    assert first != second  # random salt
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert salt and key
    assert verify_password("demo-2026", first) and verify_password("demo-2026", second)
    assert not verify_password("demo-2027", first)
    assert not verify_password("demo-2026", "plaintext")
    assert not verify_password("demo-2026", "scrypt$x$8$1$AAAA$AAAA")
