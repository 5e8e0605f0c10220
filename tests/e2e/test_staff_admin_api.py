"""/api/v1/admin/staff — an operator manages the staff accounts of their region, tried as a hostile
operator would: other counties' accounts, a provincial or peer operator account, their own account."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.support import login, refused

pytestmark = pytest.mark.asyncio
STAFF = "/api/v1/admin/staff"
PASSWORD = "Kaishi2027start"


def new_name() -> str:
    return f"sa{uuid.uuid4().hex[:10]}"


def body(username: str, **changes: Any) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": "测试受理员",
        "role": "intake_clerk",
        "region_code": "440105001",
        "password": PASSWORD,
        **changes,
    }


async def audit_actions(api: httpx.AsyncClient, username: str) -> list[tuple[str, str, str | None]]:
    response = await api.get(
        "/api/v1/audit", params={"limit": 500}, headers=await login(api, "supervisor_haizhu")
    )
    assert response.status_code == 200, response.text
    return [
        (e["action"], e["outcome"], e["actor_username"])
        for e in reversed(response.json()["items"])
        if e["target_type"] == "staff" and e["target_id"] == username and e["action"].startswith("staff.")
    ]


async def test_an_operator_creates_an_account_that_signs_in_and_is_audited(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    name = new_name()
    created = await api.post(STAFF, json=body(name), headers=operator)
    assert created.status_code == 201, created.text
    assert created.json()["region_name"] == "赤岗街道" and created.json()["role_label"] == "受理窗口人员"
    me = await api.get("/api/v1/auth/me", headers=await login(api, name, PASSWORD))
    assert me.json()["role"] == "intake_clerk"
    listed = await api.get(STAFF, headers=operator)
    assert name in [a["username"] for a in listed.json()]
    assert await audit_actions(api, name) == [("staff.created", "ok", "operator_haizhu")]


async def test_field_errors_name_their_fields_and_nothing_is_created(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    name = new_name()
    bad = await api.post(STAFF, json=body("X", password="short", display_name=" "), headers=operator)
    fields = {e["field"] for e in refused(bad, 422, "invalid_staff")["errors"]}
    assert fields == {"username", "password", "display_name"}
    reserved = await api.post(STAFF, json=body("new"), headers=operator)
    assert refused(reserved, 422, "invalid_staff")["errors"][0]["field"] == "username"
    weak = await api.post(STAFF, json=body(name, password=f"{name}12345"), headers=operator)
    assert [e["message"] for e in refused(weak, 422, "invalid_staff")["errors"]] == ["新密码不能包含用户名"]
    assert (await api.get(f"{STAFF}/{name}", headers=operator)).status_code == 404


async def test_no_account_outside_the_operators_region_nor_a_provincial_or_peer_operator(
    api: httpx.AsyncClient,
) -> None:
    operator = await login(api, "operator_haizhu")
    outside = await api.post(STAFF, json=body(new_name(), region_code="440106001"), headers=operator)
    refused(outside, 403, "outside_region")
    province = await api.post(
        STAFF, json=body(new_name(), role="provincial_operator", region_code="44"), headers=operator
    )
    refused(province, 403, "outside_region")
    unknown = await api.post(STAFF, json=body(new_name(), region_code="440105999"), headers=operator)
    assert refused(unknown, 422, "invalid_staff")["errors"][0]["field"] == "region_code"
    provincial_here = await api.post(
        STAFF, json=body(new_name(), role="provincial_operator"), headers=operator
    )
    assert provincial_here.status_code == 422
    peer = await api.post(
        STAFF, json=body(new_name(), role="operator", region_code="440105"), headers=operator
    )
    refused(peer, 403, "forbidden_role")
    below = new_name()
    township_operator = await api.post(STAFF, json=body(below, role="operator"), headers=operator)
    assert township_operator.status_code == 201, township_operator.text
    # The township's operator cannot manage the county operator above it, nor make a peer.
    township = await login(api, below, PASSWORD)
    assert (await api.get(f"{STAFF}/operator_haizhu", headers=township)).status_code == 404
    refused(
        await api.post(STAFF, json=body(new_name(), role="operator"), headers=township), 403, "forbidden_role"
    )
    provincial = await login(api, "operator_province")
    made = await api.post(
        STAFF, json=body(new_name(), role="provincial_operator", region_code="44"), headers=provincial
    )
    assert made.status_code == 201, made.text


async def test_another_countys_accounts_are_not_found_and_nothing_leaks(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    listed = await api.get(STAFF, headers=operator)
    assert {a["region_code"][:6] for a in listed.json()} == {"440105"}
    assert (await api.get(STAFF, params={"region_code": "440106"}, headers=operator)).json() == []
    calls = [
        api.get(f"{STAFF}/approver_tianhe", headers=operator),
        api.patch(f"{STAFF}/approver_tianhe", json={"role": "operator"}, headers=operator),
        api.put(f"{STAFF}/approver_tianhe/password", json={"password": PASSWORD}, headers=operator),
        api.put(f"{STAFF}/approver_tianhe/active", json={"active": False}, headers=operator),
        api.put(f"{STAFF}/operator_province/password", json={"password": PASSWORD}, headers=operator),
    ]
    for call in calls:
        response = await call
        refused(response, 404, "staff_not_found")
        assert (
            "罗淑芬" not in response.text
            and "县级审批" not in response.text
            and "邓志远" not in response.text
        )
    # The other county's approver can still sign in with the demo password.
    await login(api, "approver_tianhe")


async def test_an_operator_cannot_change_their_own_account(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    for response in (
        await api.patch(f"{STAFF}/operator_haizhu", json={"role": "supervisor"}, headers=operator),
        await api.put(f"{STAFF}/operator_haizhu/active", json={"active": False}, headers=operator),
        await api.put(f"{STAFF}/operator_haizhu/password", json={"password": PASSWORD}, headers=operator),
    ):
        refused(response, 403, "own_account")
    me = await api.get("/api/v1/auth/me", headers=operator)
    assert me.json()["role"] == "operator"


async def test_only_operators_manage_accounts(api: httpx.AsyncClient) -> None:
    for username in ("supervisor_haizhu", "approver_haizhu", "clerk_chigang"):
        headers = await login(api, username)
        refused(await api.get(STAFF, headers=headers), 403, "forbidden")
        refused(await api.post(STAFF, json=body(new_name()), headers=headers), 403, "forbidden")


async def test_role_change_reset_and_deactivation_take_effect_at_once(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    name = new_name()
    assert (await api.post(STAFF, json=body(name), headers=operator)).status_code == 201
    token = await login(api, name, PASSWORD)

    changed = await api.patch(
        f"{STAFF}/{name}", json={"role": "investigator", "region_code": "440105002"}, headers=operator
    )
    assert changed.status_code == 200, changed.text
    me = (await api.get("/api/v1/auth/me", headers=token)).json()
    assert (me["role"], me["region_code"]) == ("investigator", "440105002")

    reset = await api.put(f"{STAFF}/{name}/password", json={"password": "Chongzhi2027x"}, headers=operator)
    assert reset.status_code == 200, reset.text
    old = await api.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    assert old.status_code == 401
    await login(api, name, "Chongzhi2027x")

    off = await api.put(f"{STAFF}/{name}/active", json={"active": False}, headers=operator)
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await api.get("/api/v1/auth/me", headers=token)).status_code == 401
    assert (
        await api.post("/api/v1/auth/token", data={"username": name, "password": "Chongzhi2027x"})
    ).status_code == 401
    on = await api.put(f"{STAFF}/{name}/active", json={"active": True}, headers=operator)
    assert on.json()["active"] is True
    await login(api, name, "Chongzhi2027x")

    assert await audit_actions(api, name) == [
        ("staff.created", "ok", "operator_haizhu"),
        ("staff.changed", "ok", "operator_haizhu"),
        ("staff.password_reset", "ok", "operator_haizhu"),
        ("staff.deactivated", "ok", "operator_haizhu"),
        ("staff.reactivated", "ok", "operator_haizhu"),
    ]


async def test_a_resubmitted_create_makes_one_account(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    name, key = new_name(), str(uuid.uuid4())
    first = await api.post(STAFF, json=body(name), headers={**operator, "Idempotency-Key": key})
    again = await api.post(STAFF, json=body(name), headers={**operator, "Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    other = await api.post(STAFF, json=body(name), headers={**operator, "Idempotency-Key": str(uuid.uuid4())})
    refused(other, 409, "username_taken")
    # Another operator's retry with the same key is not a retry of this creation.
    stolen = await api.post(
        STAFF, json=body(name), headers={**await login(api, "operator_province"), "Idempotency-Key": key}
    )
    refused(stolen, 409, "username_taken")


async def test_a_refused_attempt_is_audited(api: httpx.AsyncClient) -> None:
    operator = await login(api, "operator_haizhu")
    name = new_name()
    refused(
        await api.post(STAFF, json=body(name, role="operator", region_code="440105"), headers=operator),
        403,
        "forbidden_role",
    )
    assert await audit_actions(api, name) == [("staff.created", "refused", "operator_haizhu")]
    # The entry records what was attempted, never the password.
    log = await api.get("/api/v1/audit", params={"limit": 50}, headers=await login(api, "supervisor_haizhu"))
    assert name in log.text and PASSWORD not in log.text
