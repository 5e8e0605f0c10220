"""No personal data in clear in Temporal: the history of a case is ciphertext, readable through
the codec endpoint by operators only."""

from __future__ import annotations

import asyncio
import base64

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.e2e.support import DIBAO_MATERIALS, login
from tests.factories import application_payload


async def test_history_holds_no_name_or_id_number_and_only_operators_can_decode(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, application_number: str
) -> None:
    clerk = await login(api, "clerk_chigang")
    body = application_payload(application_number, materials=DIBAO_MATERIALS)
    name, id_number = body["applicant"]["name"], body["applicant"]["id_number"]
    assert (await api.post("/api/v1/applications", json=body, headers=clerk)).status_code == 201
    handle = dev_env.client.get_workflow_handle(f"application-{application_number}")
    async with asyncio.timeout(30):  # until the case has done real work (tasks opened, events written)
        while len((await handle.fetch_history()).events) < 30:
            await asyncio.sleep(0.2)
    history = await handle.fetch_history()
    # The raw bytes the server keeps (payload data unencoded — JSON would be base64 and prove nothing).
    raw = b"".join(event.SerializeToString() for event in history.events)
    for secret in (name, id_number, id_number[-6:], "张*明", application_number):
        assert secret.encode() not in raw.replace(f"application-{application_number}".encode(), b""), secret
    assert b"binary/encrypted" in raw

    first = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    request = {"payloads": [{"metadata": {k: base64.b64encode(v).decode() for k, v in first.metadata.items()},
                             "data": base64.b64encode(first.data).decode()}]}  # fmt: skip
    assert (await api.post("/api/v1/codec/decode", json=request)).status_code == 401
    investigator = await login(api, "inv_chigang_1")
    assert (await api.post("/api/v1/codec/decode", json=request, headers=investigator)).status_code == 403
    operator = await login(api, "operator_haizhu")
    decoded = await api.post("/api/v1/codec/decode", json=request, headers=operator)
    assert decoded.status_code == 200
    plain = base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
    assert application_number in plain and "张*明" in plain  # the masked name for publicity, no more
