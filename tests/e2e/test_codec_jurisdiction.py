"""The codec decrypts only the operator's jurisdiction (issue 16, item 4). An operator of 海珠区 read
the decrypted history of a 天河区 case through the codec endpoint. Now every payload the worker and
the API write names its workflow (authenticated), the endpoint maps it to the case's county, and:
an operator of 海珠区 is refused a 天河区 payload (audited); a provincial operator decrypts it (audited).
The payloads here are the real ones of cases run on the dev server, sent as the Temporal UI sends them.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
from google.protobuf.message import Message
from sqlalchemy import select
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from api.ops_session import COOKIE_NAME
from infra.codec import ENCODING, WORKFLOW_ID
from infra.models import AuditEntry
from tests.e2e.support import DIBAO_MATERIALS, Sessions, eventually, login
from tests.factories import application_payload, id_number

UI = "http://127.0.0.1:8233"
DECODE = "/api/v1/codec/decode"


def _tianhe_payload(number: str) -> dict[str, Any]:
    person = id_number("440106", "19750505")
    return application_payload(
        number,
        region={"county_code": "440106", "township_code": "440106001", "community_code": "440106001001"},
        applicant={"name": "赵天河", "id_number": person, "phone": "13900001111"},
        members=[{"name": "赵天河", "id_number": person, "relation": "self", "monthly_income_fen": 40_000}],
        materials=DIBAO_MATERIALS,
    )


def _encrypted(message: Message) -> list[Payload]:
    """Every encrypted payload anywhere in a history (inputs, results, activity arguments …)."""
    found: list[Payload] = []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:  # e.g. header fields, memo: name → Payload
            values = list(value.values()) if field.message_type.fields_by_name["value"].message_type else []
        else:
            values = [value] if isinstance(value, Message) else list(value)
        for item in values:
            if isinstance(item, Payload):
                if item.metadata.get("encoding") == ENCODING:
                    found.append(item)
            elif isinstance(item, Message):
                found += _encrypted(item)
    return found


def _body(payloads: list[Payload]) -> dict[str, Any]:
    """The codec protocol's JSON, as the UI posts it."""
    return {
        "payloads": [
            {"metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
             "data": base64.b64encode(p.data).decode()}
            for p in payloads
        ]
    }  # fmt: skip


async def _history_payloads(dev_env: WorkflowEnvironment, workflow_id: str) -> list[Payload]:
    async def enough() -> list[Payload] | None:
        history = await dev_env.client.get_workflow_handle(workflow_id).fetch_history()
        found = [p for event in history.events for p in _encrypted(event)]
        return found if len(found) >= 3 else None  # the input, and some activities' arguments

    return await eventually(enough, within=30)


async def _ui_cookie(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await api.post("/ops/login", data={"username": username, "password": "demo-2026"})
    assert response.status_code == 200, response.text
    token = response.cookies[COOKIE_NAME]
    api.cookies.clear()
    return {"Cookie": f"{COOKIE_NAME}={token}", "Origin": UI, "X-Namespace": "default"}


async def _codec_audit(sessions: Sessions, username: str, workflow_id: str) -> list[AuditEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.actor_username == username, AuditEntry.action.like("codec.%"))
            .order_by(AuditEntry.id)
        )
        return [r for r in rows if workflow_id in r.detail.get("workflows", [])]


async def test_a_county_operator_is_refused_another_countys_history_and_a_provincial_one_is_not(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, sessions: Sessions
) -> None:
    haizhu_number = f"440105-CJ{uuid.uuid4().hex[:10].upper()}"
    tianhe_number = f"440106-CJ{uuid.uuid4().hex[:10].upper()}"
    haizhu = application_payload(haizhu_number, materials=DIBAO_MATERIALS)
    filed = await api.post("/api/v1/applications", json=haizhu, headers=await login(api, "clerk_chigang"))
    assert filed.status_code == 201, filed.text
    filed = await api.post(
        "/api/v1/applications", json=_tianhe_payload(tianhe_number), headers=await login(api, "clerk_wushan")
    )
    assert filed.status_code == 201, filed.text
    haizhu_wf, tianhe_wf = f"application-{haizhu_number}", f"application-{tianhe_number}"
    haizhu_history = await _history_payloads(dev_env, haizhu_wf)
    tianhe_history = await _history_payloads(dev_env, tianhe_wf)
    # Every payload of the case's history names the case's workflow (the API's start, the worker's
    # activities): none is left for the provincial view only.
    assert {p.metadata[WORKFLOW_ID].decode() for p in tianhe_history} == {tianhe_wf}

    county = await _ui_cookie(api, "operator_haizhu")
    own = await api.post(DECODE, json=_body(haizhu_history), headers=county)
    assert own.status_code == 200, own.text
    assert haizhu_number in base64.b64decode(own.json()["payloads"][0]["data"]).decode()

    other = await api.post(DECODE, json=_body(tianhe_history), headers=county)
    assert other.status_code == 403, other.text
    assert other.json()["code"] == "outside_jurisdiction" and "管辖范围" in other.json()["message"]
    assert "payloads" not in other.json()  # nothing decrypted, not even in part
    # Mixed in with its own county's payloads, it is refused all the same.
    mixed = await api.post(DECODE, json=_body(haizhu_history[:1] + tianhe_history[:1]), headers=county)
    assert mixed.status_code == 403

    # Relabelled to a 海珠区 workflow, the 天河区 payload does not open (the label is authenticated) …
    relabelled = Payload()
    relabelled.CopyFrom(tianhe_history[0])
    relabelled.metadata[WORKFLOW_ID] = haizhu_wf.encode()
    forged = await api.post(DECODE, json=_body([relabelled]), headers=county)
    assert forged.status_code == 422 and forged.json()["code"] == "undecryptable_payload"
    # … and without a label it is the provincial view's only.
    del relabelled.metadata[WORKFLOW_ID]
    assert (await api.post(DECODE, json=_body([relabelled]), headers=county)).status_code == 403

    province = await _ui_cookie(api, "operator_province")
    opened = await api.post(DECODE, json=_body(tianhe_history), headers=province)
    assert opened.status_code == 200, opened.text
    texts = [base64.b64decode(p["data"]).decode() for p in opened.json()["payloads"]]
    assert any(tianhe_number in t for t in texts)

    refusals = await _codec_audit(sessions, "operator_haizhu", tianhe_wf)
    assert [(e.action, e.outcome, e.status_code) for e in refusals] == [
        ("codec.refused", "refused", 403),  # the 天河区 history
        ("codec.refused", "refused", 403),  # mixed with a 海珠区 payload
    ]
    assert refusals[0].target_id == tianhe_wf and refusals[0].region_code == "440106"
    assert refusals[0].detail["counties"] == ["440106"] and refusals[0].detail["view"] == "jurisdiction"
    own_entries = await _codec_audit(sessions, "operator_haizhu", haizhu_wf)
    assert [(e.action, e.outcome, e.status_code) for e in own_entries] == [
        ("codec.decode", "ok", 200),  # its own county's history
        ("codec.refused", "refused", 403),  # mixed with the 天河区 payload
        ("codec.decode", "refused", 422),  # the relabelled 天河区 payload: did not open
    ]
    [global_view] = await _codec_audit(sessions, "operator_province", tianhe_wf)
    assert (global_view.action, global_view.outcome, global_view.actor_role) == (
        "codec.decode",
        "ok",
        "provincial_operator",
    )
    assert global_view.detail["view"] == "province" and global_view.detail["payloads"] == len(tianhe_history)
