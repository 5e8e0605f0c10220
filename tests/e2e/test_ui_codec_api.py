"""The codec endpoint as the Temporal Web UI calls it: cross-origin from the UI's origin, with the
operator's /ops/login session cookie — and nobody else gets plaintext."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import hash_password
from api.ops_session import COOKIE_NAME, issue_ops_session
from domain.staff import Role
from infra.codec import EncryptionCodec, parse_keys
from infra.models import AuditEntry, Staff
from infra.seed import DEMO_PASSWORD
from infra.settings import load_settings
from tests.e2e.addresses import unique_ip
from tests.e2e.support import Sessions, login, refused

UI = "http://127.0.0.1:8233"  # the default TEMPORAL_UI_ORIGINS (the dev server's UI)
DECODE = "/api/v1/codec/decode"
SECRET = load_settings().jwt_secret


def _preflight(origin: str, headers: str = "content-type,x-namespace") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


# A workflow of 海珠区 (the county is in a payroll run's id): operator_haizhu may see it decrypted.
HAIZHU_WORKFLOW = "payroll-440105-2026-11"


async def _sealed(plain: dict[str, Any], workflow_id: str = HAIZHU_WORKFLOW) -> dict[str, Any]:
    """A payload as the worker stores it in `workflow_id`'s history, in the codec protocol's JSON shape."""
    settings = load_settings()
    codec = EncryptionCodec(parse_keys(settings.payload_keys), settings.payload_active_key, workflow_id)
    [sealed] = await codec.encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(plain, ensure_ascii=False).encode())]
    )
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
                "data": base64.b64encode(sealed.data).decode(),
            }
        ]
    }


def _plain(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = json.loads(base64.b64decode(response.json()["payloads"][0]["data"]))
    return data


async def _ops_login(api: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    response = await api.post("/ops/login", data={"username": username, "password": password})
    api.cookies.clear()  # every request below names the cookie it sends (or none) explicitly
    return response


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={token}", "Origin": UI, "X-Namespace": "default"}


async def _session_token(api: httpx.AsyncClient, username: str) -> str:
    response = await _ops_login(api, username)
    assert response.status_code == 200, response.text
    return response.cookies[COOKIE_NAME]


async def _new_operator(sessions: Sessions) -> str:
    username = f"op_{uuid.uuid4().hex[:8]}"
    async with sessions() as db, db.begin():
        db.add(
            Staff(
                username=username,
                display_name="临时运维",
                role=Role.OPERATOR.value,
                region_code="440105",
                password_hash=hash_password(DEMO_PASSWORD),
                active=True,
            )
        )
    return username


async def test_preflight_is_answered_for_the_ui_origin_only(api: httpx.AsyncClient) -> None:
    for origin in (UI, "http://localhost:8233"):
        ok = await api.options(
            DECODE, headers=_preflight(origin, headers="content-type,x-namespace,authorization")
        )
        assert ok.status_code == 200, ok.text
        assert ok.headers["access-control-allow-origin"] == origin  # never "*" with credentials
        assert ok.headers["access-control-allow-credentials"] == "true"
        assert "POST" in ok.headers["access-control-allow-methods"]
        allowed = {h.strip().lower() for h in ok.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-namespace", "authorization"} <= allowed

    for origin in ("http://evil.example", "http://127.0.0.1:9999", "null"):
        body = refused(await api.options(DECODE, headers=_preflight(origin)), 403, "cors_refused")
        assert "Temporal UI" in body["message"]
    # A header the UI never sends is refused too, and so is every other route of the API.
    refused(await api.options(DECODE, headers=_preflight(UI, headers="x-custom")), 403, "cors_refused")
    other = await api.options("/api/v1/applications", headers=_preflight(UI))
    assert "access-control-allow-origin" not in other.headers
    plain_call = await api.get(
        "/api/v1/auth/me", headers={"Origin": UI, **await login(api, "operator_haizhu")}
    )
    assert plain_call.status_code == 200 and "access-control-allow-origin" not in plain_call.headers


async def test_the_operators_session_cookie_decodes_for_the_ui(api: httpx.AsyncClient) -> None:
    number = f"440105-{uuid.uuid4().hex[:12].upper()}"
    request = await _sealed({"application_number": number, "masked_name": "张*明"})

    response = await _ops_login(api, "operator_haizhu")
    assert response.status_code == 200, response.text
    assert response.json()["codec_endpoint"].endswith("/api/v1/codec")
    cookie = response.headers["set-cookie"].lower()
    for attribute in ("httponly", "samesite=lax", "path=/", "max-age=3600"):
        assert attribute in cookie, cookie
    assert "secure" not in cookie  # plain http on the loopback in development; https sets it
    token = response.cookies[COOKIE_NAME]

    decoded = await api.post(DECODE, json=request, headers=_cookie(token))
    assert _plain(decoded) == {"application_number": number, "masked_name": "张*明"}
    assert decoded.headers["access-control-allow-origin"] == UI
    assert decoded.headers["access-control-allow-credentials"] == "true"
    # /encode (the UI uses it where it sends payloads, e.g. signals) works the same way and round-trips.
    empty_object = {"payloads": [{"metadata": {}, "data": base64.b64encode(b"{}").decode()}]}
    encoded = await api.post("/api/v1/codec/encode", json=empty_object, headers=_cookie(token))
    assert encoded.status_code == 200
    assert base64.b64decode(encoded.json()["payloads"][0]["metadata"]["encoding"]) == b"binary/encrypted"
    # Encoded without a workflow (the UI names none), it opens in the provincial view only.
    refused(await api.post(DECODE, json=encoded.json(), headers=_cookie(token)), 403, "outside_jurisdiction")
    province = await _session_token(api, "operator_province")
    assert _plain(await api.post(DECODE, json=encoded.json(), headers=_cookie(province))) == {}

    # Logging out clears the cookie in the browser.
    out = await api.post("/ops/logout")
    assert out.status_code == 200 and out.json()["message"]
    assert (
        out.headers["set-cookie"].startswith(f"{COOKIE_NAME}=")
        and "max-age=0" in out.headers["set-cookie"].lower()
    )


async def test_nobody_but_an_operator_gets_plaintext(api: httpx.AsyncClient, sessions: Sessions) -> None:
    request = await _sealed({"application_number": "440105-SECRET", "masked_name": "张*明"})

    # No credentials at all: 401, in Chinese, pointing at the login page.
    body = refused(await api.post(DECODE, json=request, headers={"Origin": UI}), 401, "not_authenticated")
    assert "/ops/login" in body["message"]

    # Another role cannot get the session: the login page refuses it and sets no cookie.
    refusal = await _ops_login(api, "inv_chigang_1")
    assert refused(refusal, 403, "forbidden")["message"].startswith("此登录仅限运维监控人员")
    assert COOKIE_NAME not in refusal.cookies
    refused(await _ops_login(api, "operator_haizhu", "wrong-password"), 401, "invalid_credentials")
    refused(await _ops_login(api, "nobody_here"), 401, "invalid_credentials")

    # A session token minted for a non-operator (or a bearer token of one): 403.
    investigator = issue_ops_session(SECRET, "inv_chigang_1", timedelta(minutes=5))
    refused(await api.post(DECODE, json=request, headers=_cookie(investigator)), 403, "forbidden")
    bearer = await login(api, "inv_chigang_1")
    refused(await api.post(DECODE, json=request, headers={**bearer, "Origin": UI}), 403, "forbidden")

    # Tokens are not interchangeable: a bearer token in the cookie, the cookie as a bearer token.
    operator_bearer = (await login(api, "operator_haizhu"))["Authorization"].removeprefix("Bearer ")
    refused(await api.post(DECODE, json=request, headers=_cookie(operator_bearer)), 401, "invalid_token")
    cookie_token = await _session_token(api, "operator_haizhu")
    as_bearer = {"Authorization": f"Bearer {cookie_token}"}
    refused(await api.get("/api/v1/auth/me", headers=as_bearer), 401, "invalid_token")
    refused(await api.post(DECODE, json=request, headers=as_bearer), 401, "invalid_token")

    # Expired, forged: 401.
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = issue_ops_session(SECRET, "operator_haizhu", timedelta(minutes=60), now=past)
    stale = refused(await api.post(DECODE, json=request, headers=_cookie(expired)), 401, "invalid_token")
    assert "过期" in stale["message"]
    forged = issue_ops_session(
        "another-secret-of-at-least-32-bytes-length!", "operator_haizhu", timedelta(minutes=5)
    )
    refused(await api.post(DECODE, json=request, headers=_cookie(forged)), 401, "invalid_token")

    # The cookie is accepted from the configured UI only: another page on the same site gets 403.
    foreign = {**_cookie(cookie_token), "Origin": "http://127.0.0.1:9999"}
    refused(await api.post(DECODE, json=request, headers=foreign), 403, "origin_not_allowed")
    assert (
        _plain(await api.post(DECODE, json=request, headers=_cookie(cookie_token)))["masked_name"] == "张*明"
    )


async def test_a_session_follows_the_staff_table(api: httpx.AsyncClient, sessions: Sessions) -> None:
    """A demoted or deactivated operator loses plaintext at once, not when the cookie expires."""
    username = await _new_operator(sessions)
    token = await _session_token(api, username)
    request = await _sealed({"application_number": "440105-X"})
    assert _plain(await api.post(DECODE, json=request, headers=_cookie(token))) == {
        "application_number": "440105-X"
    }

    async with sessions() as db, db.begin():
        await db.execute(update(Staff).where(Staff.username == username).values(role=Role.SUPERVISOR.value))
    refused(await api.post(DECODE, json=request, headers=_cookie(token)), 403, "forbidden")
    async with sessions() as db, db.begin():
        await db.execute(
            update(Staff).where(Staff.username == username).values(role="operator", active=False)
        )
    refused(await api.post(DECODE, json=request, headers=_cookie(token)), 401, "invalid_token")


async def test_the_login_page_is_a_chinese_form_that_sets_the_session(api: httpx.AsyncClient) -> None:
    page = {"Accept": "text/html"}
    form = await api.get("/ops/login", headers=page)
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert 'lang="zh-CN"' in form.text and "运维人员登录" in form.text and 'name="password"' in form.text
    assert (
        form.headers["x-frame-options"] == "DENY"
        and "frame-ancestors 'none'" in form.headers["content-security-policy"]
    )
    # The form carries the page's anti-forgery token; the client's cookie jar keeps its cookie.
    [csrf] = re.findall(r'name="csrf_token" value="([^"]+)"', form.text)

    wrong = await api.post(
        "/ops/login", data={"username": "operator_haizhu", "password": "x", "csrf_token": csrf}, headers=page
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text and COOKIE_NAME not in wrong.cookies
    other = await api.post(
        "/ops/login",
        data={"username": "clerk_chigang", "password": DEMO_PASSWORD, "csrf_token": csrf},
        headers=page,
    )
    assert other.status_code == 403 and "受理窗口人员" in other.text and COOKIE_NAME not in other.cookies

    signed = await api.post(
        "/ops/login",
        data={"username": "operator_haizhu", "password": DEMO_PASSWORD, "csrf_token": csrf},
        headers=page,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/ops/login"
    token = signed.cookies[COOKIE_NAME]
    status = await api.get("/ops/login", headers={**page, "Cookie": f"{COOKIE_NAME}={token}"})
    assert "已登录：何俊杰（operator_haizhu）" in status.text
    assert "http://api.test/api/v1/codec" in status.text and "Include cross-origin credentials" in status.text
    assert "退出登录" in status.text and 'name="password"' not in status.text


def _encrypted_like(key_id: str) -> dict[str, Any]:
    """Looks encrypted with `key_id`, but is 40 bytes of nothing."""
    metadata = {
        "encoding": b"binary/encrypted",
        "encryption-key-id": key_id.encode(),
        "encryption-workflow-id": HAIZHU_WORKFLOW.encode(),
    }
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in metadata.items()},
                "data": base64.b64encode(b"x" * 40).decode(),
            }
        ]
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"payloads": [{"metadata": {"encoding": "!!not base64!!"}, "data": ""}]}, "validation_error"),
        ({"payloads": "nope"}, "validation_error"),
        (_encrypted_like("retired-2020"), "unknown_payload_key"),  # a key removed from PAYLOAD_KEYS too early
        (_encrypted_like("dev-2026"), "undecryptable_payload"),  # tampered or truncated
    ],
)
async def test_bad_payloads_are_refused_in_chinese(
    api: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    operator = await login(api, "operator_haizhu")
    response = refused(await api.post(DECODE, json=body, headers=operator), 422, code)
    if code == "unknown_payload_key":
        assert "retired-2020" in response["message"]


async def test_the_login_page_shares_the_apis_lockout_and_audit_trail(
    dev_env: WorkflowEnvironment, sessions: Sessions, sqlite_url: str
) -> None:
    """/ops/login goes through the same login guard as /api/v1/auth/token: five wrong passwords
    lock the account there too, and every attempt and every session issued is in the audit log."""
    app = create_app(
        load_settings(database_url=sqlite_url), session_factory=sessions, temporal_client=dev_env.client
    )
    transport = httpx.ASGITransport(app=app, client=(unique_ip(), 40_000))  # new to the shared counts
    locked, fine = await _new_operator(sessions), await _new_operator(sessions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api.test") as client,
    ):

        async def ops_login(username: str, password: str = DEMO_PASSWORD, **headers: str) -> httpx.Response:
            response = await client.post(
                "/ops/login", data={"username": username, "password": password}, headers=headers
            )
            client.cookies.clear()
            return response

        for _ in range(4):
            refused(await ops_login(locked, "wrong"), 401, "invalid_credentials")
        refused(await ops_login(locked, "wrong"), 423, "account_locked")  # the fifth locks it
        assert "锁定" in refused(await ops_login(locked), 423, "account_locked")["message"]
        page = await ops_login(locked, Accept="text/html")
        assert page.status_code == 423 and "锁定" in page.text and int(page.headers["retry-after"]) > 0
        assert COOKIE_NAME not in page.cookies

        assert (await ops_login(fine)).status_code == 200
        refused(await ops_login("inv_chigang_1"), 403, "forbidden")

    async def actions(username: str) -> list[tuple[str, int]]:
        async with sessions() as db:
            rows = await db.scalars(
                select(AuditEntry).where(AuditEntry.actor_username == username).order_by(AuditEntry.id)
            )
            return [(r.action, r.status_code) for r in rows]

    trail = await actions(locked)
    assert trail.count(("login.failed", 401)) == 4 and ("login.locked", 423) in trail
    assert not any(action.startswith("ops_session") for action, _ in trail)
    assert (await actions(fine))[-2:] == [("login.succeeded", 200), ("ops_session.issued", 200)]
    assert ("ops_session.refused", 403) in await actions("inv_chigang_1")


def test_the_ui_origins_follow_the_ui_port_and_refuse_wildcards() -> None:
    assert load_settings(temporal_ui_port=9233).temporal_ui_origins == [
        "http://127.0.0.1:9233",
        "http://localhost:9233",
    ]
    chosen = ["https://temporal.mz.example.gov.cn"]
    assert load_settings(temporal_ui_origins=chosen).temporal_ui_origins == chosen
    # Credentials go with these origins: a wildcard, a path or a trailing slash is a mistake.
    for wrong in ("*", "https://temporal.mz.example.gov.cn/", "temporal.mz.example.gov.cn", "http://ui/x"):
        with pytest.raises(ValueError, match="TEMPORAL_UI_ORIGINS"):
            load_settings(temporal_ui_origins=[wrong])
