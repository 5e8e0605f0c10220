"""The simulated bank as a finance officer meets it: which lines are paid, which fail and why, that a
file sent twice pays once, and that the ledger shows every credit (and any paid twice)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio

from domain.bank import BatchResult, DisbursementFile, FailureReason, LineStatus
from simulators.bank import DEV_API_KEY, BankState, create_bank_app
from tests.simulators.bank_files import bad_card, big_file, card, disbursement, line

KEY = {"X-Api-Key": DEV_API_KEY}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> BankState:
    return BankState(clock=clock)


@pytest_asyncio.fixture
async def bank(state: BankState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_bank_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://bank") as client:
        yield client


async def submit(bank: httpx.AsyncClient, file: DisbursementFile | str, **headers: str) -> httpx.Response:
    text = file if isinstance(file, str) else file.render()
    return await bank.post(
        "/v1/batches",
        content=text.encode(),
        headers={**KEY, "content-type": "text/plain; charset=utf-8", **headers},
    )


async def result(bank: httpx.AsyncClient, batch_id: str) -> BatchResult:
    response = await bank.get(f"/v1/batches/{batch_id}/result", headers=KEY)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return BatchResult.parse(response.text)


async def ledger(bank: httpx.AsyncClient, reference: str) -> dict[str, Any]:
    body: dict[str, Any] = (await bank.get("/admin/ledger", params={"reference": reference})).json()
    return body


async def summary(bank: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await bank.get("/admin/ledger/summary")).json()
    return body


async def test_each_line_is_paid_or_fails_with_the_banks_reason(bank: httpx.AsyncClient) -> None:
    await bank.post("/admin/accounts", json={"number": card(2), "holder": "李四", "status": "closed"})
    await bank.post("/admin/accounts", json={"number": card(3), "holder": "王五", "status": "frozen"})
    await bank.post("/admin/accounts", json={"number": card(4), "holder": "赵六"})  # open, another name
    await bank.post("/admin/accounts", json={"number": card(6), "holder": "孙八"})
    marked = await bank.post("/admin/invalid-lines", json={"references": ["B000007:2027-01"]})
    assert marked.status_code == 201
    file = disbursement(
        "PAY-440105-2027-01-001",
        line(1, 80_000),  # never registered: an open account in its own name
        line(2, holder="李四"),
        line(3, holder="王五"),
        line(4, holder="赵六六"),
        replace(line(5), account_number=bad_card(5)),  # fails the Luhn check
        line(6, 123_456, holder="孙八"),
        line(7),
    )
    response = await submit(bank, file)
    assert response.status_code == 202, response.text
    assert response.json()["batch_id"] == "PAY-440105-2027-01-001"

    outcome = await result(bank, file.batch_id)
    assert outcome.state == "completed"
    by_reference = {x.reference: x for x in outcome.lines}
    assert [x.reference for x in outcome.lines] == [x.reference for x in file.lines]
    assert {ref: (x.status, x.reason) for ref, x in by_reference.items()} == {
        "B000001:2027-01": (LineStatus.PAID, None),
        "B000002:2027-01": (LineStatus.FAILED, FailureReason.ACCOUNT_CLOSED),
        "B000003:2027-01": (LineStatus.FAILED, FailureReason.ACCOUNT_FROZEN),
        "B000004:2027-01": (LineStatus.FAILED, FailureReason.NAME_MISMATCH),
        "B000005:2027-01": (LineStatus.FAILED, FailureReason.ACCOUNT_NOT_FOUND),
        "B000006:2027-01": (LineStatus.PAID, None),
        "B000007:2027-01": (LineStatus.FAILED, FailureReason.INVALID_LINE),
    }
    assert outcome.paid_count == 2 and outcome.paid_total_fen == 80_000 + 123_456
    serials = {by_reference["B000001:2027-01"].bank_serial, by_reference["B000006:2027-01"].bank_serial}
    assert None not in serials and len(serials) == 2
    assert all(x.bank_serial is None for x in outcome.lines if x.status is LineStatus.FAILED)

    paid = await ledger(bank, "B000006:2027-01")
    assert paid["count"] == 1 and paid["total_fen"] == 123_456
    assert paid["credits"][0]["account_number"] == card(6)
    assert paid["credits"][0]["bank_serial"] == by_reference["B000006:2027-01"].bank_serial
    assert (await ledger(bank, "B000002:2027-01"))["count"] == 0  # a failed line credits nothing
    totals = await summary(bank)
    assert totals["credit_count"] == 2 and totals["total_fen"] == 203_456 and totals["duplicates"] == []


async def test_a_file_sent_again_answers_the_same_receipt_and_pays_once(bank: httpx.AsyncClient) -> None:
    file = disbursement("PAY-2", line(1), line(2))
    first = await submit(bank, file)
    again = await submit(bank, file)
    assert first.status_code == again.status_code == 202
    assert first.json()["receipt"] == again.json()["receipt"]
    assert (await ledger(bank, "B000001:2027-01"))["count"] == 1
    assert (await summary(bank))["credit_count"] == 2
    # A different batch gets a receipt of its own.
    other = await submit(bank, disbursement("PAY-3", line(3)))
    assert other.json()["receipt"] != first.json()["receipt"]


async def test_a_batch_id_reused_for_other_content_is_refused(bank: httpx.AsyncClient) -> None:
    await submit(bank, disbursement("PAY-4", line(1)))
    conflict = await submit(bank, disbursement("PAY-4", line(1, 90_000)))
    assert conflict.status_code == 409
    assert conflict.json() == {"code": "batch_conflict", "message": "批次号 PAY-4 已用于内容不同的代发文件"}
    outcome = await result(bank, "PAY-4")  # the original stands, paid once at its own amount
    assert outcome.paid_total_fen == 80_000
    assert (await ledger(bank, "B000001:2027-01"))["total_fen"] == 80_000


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("H|PAY-5|44001000000000000001|1|1|2027-01-05\n", "笔数不符"),
        ("H|PAY-5|44001000000000000001|1|2|2027-01-05\nD|1|{card}|张三|1|B1\n", "金额合计不符"),
        ("PAY-5,1,1\n", "文件头格式错误"),
    ],
    ids=["count", "total", "header"],
)
async def test_a_malformed_file_is_refused_as_a_whole_and_pays_nothing(
    bank: httpx.AsyncClient, text: str, reason: str
) -> None:
    response = await submit(bank, text.replace("{card}", card(1)))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_file" and reason in response.json()["message"]
    assert (await bank.get("/v1/batches/PAY-5/result", headers=KEY)).status_code == 404
    assert (await summary(bank))["credit_count"] == 0


async def test_the_interface_needs_the_key_and_a_text_file(bank: httpx.AsyncClient) -> None:
    file = disbursement("PAY-6", line(1))
    refused = await submit(bank, file, **{"X-Api-Key": "wrong"})
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"
    assert (await bank.get("/v1/batches/PAY-6/result")).status_code == 401
    as_json = await submit(bank, file, **{"content-type": "application/json"})
    assert as_json.status_code == 415
    raw = await bank.post(
        "/v1/batches",
        content=file.render().encode("gbk"),
        headers={**KEY, "content-type": "text/plain"},
    )
    assert raw.status_code == 422 and "UTF-8" in raw.json()["message"]


async def test_an_unknown_batch_is_404(bank: httpx.AsyncClient) -> None:
    response = await bank.get("/v1/batches/NOPE/result", headers=KEY)
    assert response.status_code == 404 and response.json()["code"] == "batch_not_found"


async def test_a_file_from_an_account_that_is_not_ours_is_rejected_by_the_bank(
    bank: httpx.AsyncClient,
) -> None:
    file = disbursement("PAY-7", line(1), payer_account="99999999999999999999")
    assert (await submit(bank, file)).status_code == 202
    outcome = await result(bank, "PAY-7")
    assert outcome.state == "rejected" and outcome.lines == ()
    assert outcome.rejected_reason == "付款账号不存在或未开通代发业务"
    assert (await summary(bank))["credit_count"] == 0


async def test_the_result_is_processing_until_the_bank_has_run_the_file(
    bank: httpx.AsyncClient, clock: Clock
) -> None:
    assert (await bank.put("/admin/processing", json={"seconds": 60})).json() == {"seconds": 60}
    await submit(bank, disbursement("PAY-8", line(1)))
    processing = await result(bank, "PAY-8")
    assert processing.state == "processing" and processing.lines == ()
    assert (await ledger(bank, "B000001:2027-01"))["count"] == 0  # not credited yet
    clock.now += 59
    assert (await result(bank, "PAY-8")).state == "processing"
    clock.now += 1
    done = await result(bank, "PAY-8")
    assert done.state == "completed" and done.paid_count == 1
    assert (await ledger(bank, "B000001:2027-01"))["count"] == 1
    # Back to the configured value (0): the next file is run at once.
    assert (await bank.put("/admin/processing", json={})).json() == {"seconds": 0}


async def test_the_ledger_shows_a_reference_credited_by_two_batches(bank: httpx.AsyncClient) -> None:
    # The bank pays whatever it is asked to: only our side can keep a month from being paid twice.
    await submit(bank, disbursement("PAY-9", line(1), line(2)))
    await submit(bank, disbursement("PAY-10", line(2), line(3)))
    totals = await summary(bank)
    assert totals["credit_count"] == 4 and totals["reference_count"] == 3
    [twice] = totals["duplicates"]
    assert twice["reference"] == "B000002:2027-01" and twice["count"] == 2
    assert twice["total_fen"] == 160_000
    assert {c["batch_id"] for c in twice["credits"]} == {"PAY-9", "PAY-10"}


async def test_reset_forgets_batches_credits_accounts_and_marks(bank: httpx.AsyncClient) -> None:
    await bank.post("/admin/accounts", json={"number": card(1), "holder": "别人", "status": "frozen"})
    await bank.post("/admin/invalid-lines", json={"references": ["B000002:2027-01"]})
    await submit(bank, disbursement("PAY-11", line(1), line(3)))
    assert (await bank.post("/admin/reset")).status_code == 200
    assert (await summary(bank))["credit_count"] == 0
    assert (await bank.get("/v1/batches/PAY-11/result", headers=KEY)).status_code == 404
    await submit(bank, disbursement("PAY-11", line(1), line(2)))  # the id is free again
    assert (await result(bank, "PAY-11")).paid_count == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/admin/accounts", {"number": "1", "holder": "张三", "status": "lost"}),
        ("/admin/accounts", {"number": "", "holder": "张三"}),
        ("/admin/invalid-lines", {"references": []}),
        ("/admin/faults", {"kind": "flood"}),
        ("/admin/faults", {"kind": "timeout", "times": 0}),
        ("/admin/faults", {"kind": "timeout", "endpoint": "ledger"}),
    ],
)
async def test_admin_input_is_validated(bank: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    assert (await bank.post(path, json=body)).status_code == 422


async def test_a_5000_line_file_is_taken_and_run_quickly(bank: httpx.AsyncClient) -> None:
    file = big_file("PAY-BIG", 5_000)
    started = time.monotonic()
    assert (await submit(bank, file)).status_code == 202
    outcome = await result(bank, "PAY-BIG")
    elapsed = time.monotonic() - started
    assert outcome.paid_count == 5_000 and outcome.paid_total_fen == file.total_fen
    assert elapsed < 5, f"5,000 lines took {elapsed:.2f} s"
