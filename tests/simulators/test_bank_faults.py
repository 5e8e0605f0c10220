"""Injected bank faults on a real socket: a bank that is down for the next N requests, one that goes
silent — after taking the file (the answer is lost) or before — and one whose answer is cut off."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from simulators.bank import DEV_API_KEY
from tests.conftest import BankSimulator
from tests.simulators.bank_files import disbursement, line

KEY = {"X-Api-Key": DEV_API_KEY}
CLIENT_TIMEOUT = 0.5
SILENCE = 2.0  # how long a "timeout" fault keeps the client waiting: longer than CLIENT_TIMEOUT


@pytest_asyncio.fixture
async def bank(bank_simulator: BankSimulator) -> AsyncIterator[httpx.AsyncClient]:
    bank_simulator.state.reset()
    async with httpx.AsyncClient(base_url=bank_simulator.base_url, timeout=CLIENT_TIMEOUT) as client:
        yield client


async def submit(bank: httpx.AsyncClient, batch_id: str) -> httpx.Response:
    file = disbursement(batch_id, line(1), line(2))
    return await bank.post(
        "/v1/batches", content=file.render().encode(), headers={**KEY, "content-type": "text/plain"}
    )


async def fault(bank: httpx.AsyncClient, **spec: Any) -> None:
    response = await bank.post("/admin/faults", json=spec)
    assert response.status_code == 200, response.text


async def credits(bank: httpx.AsyncClient) -> int:
    count: int = (await bank.get("/admin/ledger/summary")).json()["credit_count"]
    return count


async def test_unavailable_for_the_next_two_submissions_then_up(bank: httpx.AsyncClient) -> None:
    await fault(bank, kind="unavailable", times=2, endpoint="submit")
    for _ in range(2):
        down = await submit(bank, "PAY-F1")
        assert down.status_code == 503 and down.json()["code"] == "unavailable"
        assert "暂不可用" in down.json()["message"]
    assert (await bank.get("/v1/batches/PAY-F1/result", headers=KEY)).status_code == 404  # nothing taken
    assert await credits(bank) == 0
    assert (await submit(bank, "PAY-F1")).status_code == 202
    assert await credits(bank) == 2
    assert (await bank.get("/admin/faults")).json() == []  # used up


async def test_a_lost_answer_the_bank_took_the_file(bank: httpx.AsyncClient) -> None:
    await fault(bank, kind="timeout", endpoint="submit", sleep_seconds=SILENCE)
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        await submit(bank, "PAY-F2")
    assert time.monotonic() - started < SILENCE
    assert await credits(bank) == 2  # paid, though we never heard so
    again = await submit(bank, "PAY-F2")  # the retry: same batch, same receipt, no second credit
    assert again.status_code == 202
    assert await credits(bank) == 2


async def test_a_silence_before_the_bank_took_the_file(bank: httpx.AsyncClient) -> None:
    await fault(bank, kind="timeout", endpoint="submit", sleep_seconds=SILENCE, after_processing=False)
    with pytest.raises(httpx.TimeoutException):
        await submit(bank, "PAY-F3")
    assert (await bank.get("/v1/batches/PAY-F3/result", headers=KEY)).status_code == 404
    assert await credits(bank) == 0


async def test_a_result_that_times_out_once(bank: httpx.AsyncClient) -> None:
    assert (await submit(bank, "PAY-F4")).status_code == 202
    await fault(bank, kind="timeout", endpoint="result", sleep_seconds=SILENCE)
    assert (await submit(bank, "PAY-F4")).status_code == 202  # submissions are not affected
    with pytest.raises(httpx.TimeoutException):
        await bank.get("/v1/batches/PAY-F4/result", headers=KEY)
    answer = await bank.get("/v1/batches/PAY-F4/result", headers=KEY)
    assert answer.status_code == 200 and answer.text.startswith("R|PAY-F4|completed|2|")


async def test_truncated_answers_after_the_work_is_done(bank: httpx.AsyncClient) -> None:
    await fault(bank, kind="truncated", endpoint="submit")
    cut = await submit(bank, "PAY-F7")
    assert cut.status_code == 202
    with pytest.raises(ValueError):
        cut.json()
    assert await credits(bank) == 2  # taken and paid all the same
    await fault(bank, kind="truncated", endpoint="result")
    text = (await bank.get("/v1/batches/PAY-F7/result", headers=KEY)).text
    assert text.startswith("R|PAY-F7|completed|2|160000|2|") and text.count("\nL|") == 1


async def test_a_fault_without_an_endpoint_hits_whichever_comes_next(bank: httpx.AsyncClient) -> None:
    await fault(bank, kind="unavailable", times=2)
    assert (await bank.get("/v1/batches/X/result", headers=KEY)).status_code == 503
    assert (await submit(bank, "PAY-F5")).status_code == 503
    assert (await submit(bank, "PAY-F5")).status_code == 202


async def test_faults_are_listed_and_cleared(bank: httpx.AsyncClient) -> None:
    await fault(bank, kind="unavailable", times=3, endpoint="result")
    await fault(bank, kind="timeout", sleep_seconds=1)
    listed = (await bank.get("/admin/faults")).json()
    assert [(f["kind"], f["endpoint"], f["remaining"]) for f in listed] == [
        ("unavailable", "result", 3),
        ("timeout", None, 1),
    ]
    assert (await bank.delete("/admin/faults")).json() == []
    assert (await submit(bank, "PAY-F6")).status_code == 202


async def test_the_fault_ends_with_its_test(bank_simulator: BankSimulator) -> None:
    # Set directly on the state here; the session fixture clears it after this test (see the next).
    from simulators.bank import FaultRequest

    bank_simulator.state.faults.add(FaultRequest(kind="unavailable", times=100))
    bank_simulator.state.set_processing_seconds(3600)


async def test_no_fault_is_left_over_from_the_previous_test(bank_simulator: BankSimulator) -> None:
    assert bank_simulator.state.faults.pending() == []
    assert bank_simulator.state.processing_seconds == 0
