"""The household's choice about payment SMS, recorded by the window through the API, and the
case's SMS list: who may set it, in whose jurisdiction, and what it covers."""

from __future__ import annotations

import httpx

from tests.e2e.support import file_complete_case, login, refused


async def test_the_window_records_an_opt_out_and_anyone_on_the_case_reads_it(
    api: httpx.AsyncClient, clerk: dict[str, str], application_number: str
) -> None:
    await file_complete_case(api, clerk, application_number)
    url = f"/api/v1/applications/{application_number}"
    headers = {**clerk, "Idempotency-Key": f"optout-{application_number}"}
    answer = await api.put(f"{url}/payment-sms", json={"opt_out": True}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["payment_sms_opt_out"] is True

    reviewer = await login(api, "reviewer_chigang")
    listed = await api.get(f"{url}/sms", headers=reviewer)
    assert listed.status_code == 200 and listed.json()["payment_sms_opt_out"] is True

    investigator = await login(api, "inv_chigang_1")
    refused(
        await api.put(f"{url}/payment-sms", json={"opt_out": False}, headers=investigator), 403, "forbidden"
    )
    other_county = await login(api, "clerk_wushan")  # another district's window
    assert (
        await api.put(f"{url}/payment-sms", json={"opt_out": False}, headers=other_county)
    ).status_code == 403
    # Back on: the choice is replaced as a whole.
    again = await api.put(
        f"{url}/payment-sms", json={"opt_out": False}, headers=headers | {"Idempotency-Key": "x2"}
    )
    assert again.status_code == 200 and again.json()["payment_sms_opt_out"] is False
    bad = await api.put(f"{url}/payment-sms", json={"opt_out": "maybe"}, headers=clerk)
    assert bad.status_code == 422
