"""The HTTP bank gateway against the bank simulator served on a real socket: what reaches the bank
is what we meant to pay, a retry after any failure never pays twice, and every failure is one of
the two the payroll workflow handles — retry (BankUnavailable) or stop (BankRejected)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import pytest_asyncio

from domain.bank import DisbursementFile, FailureReason, LineStatus
from infra.bank import (
    BankBatchUnknown,
    BankRejected,
    BankUnavailable,
    HttpBankGateway,
    make_bank_gateway,
)
from infra.settings import load_settings
from simulators.bank import Account, FaultRequest
from tests.conftest import BankSimulator
from tests.simulators.bank_files import bad_card, card, disbursement, line

TIMEOUT = 1.5  # under the faults' 3 s; 0.5 s let a loaded machine's slow connect pass for a timeout


@pytest_asyncio.fixture
async def gateway(bank_simulator: BankSimulator) -> AsyncIterator[HttpBankGateway]:
    bank_simulator.state.reset()
    settings = load_settings(bank_base_url=bank_simulator.base_url, bank_timeout_seconds=TIMEOUT)
    gateway = make_bank_gateway(settings)
    yield gateway
    await gateway.aclose()


def credited(bank: BankSimulator, reference: str) -> int:
    return len(bank.state.credits_of(reference))


async def test_a_file_round_trip_paid_and_failed_lines(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    bank_simulator.state.register(Account(card(2), "李四", "frozen"))
    file = disbursement(
        "PAY-A1", line(1, 80_000), line(2, holder="李四"), replace(line(3), account_number=bad_card(3))
    )
    receipt = await gateway.submit(file)
    assert receipt
    result = await gateway.result("PAY-A1")
    assert result.batch_id == "PAY-A1" and result.state == "completed" and result.rejected_reason is None
    assert [(x.reference, x.status, x.reason) for x in result.lines] == [
        ("B000001:2027-01", LineStatus.PAID, None),
        ("B000002:2027-01", LineStatus.FAILED, FailureReason.ACCOUNT_FROZEN),
        ("B000003:2027-01", LineStatus.FAILED, FailureReason.ACCOUNT_NOT_FOUND),
    ]
    assert result.paid_total_fen == 80_000
    [credit] = bank_simulator.state.credits_of("B000001:2027-01")
    assert credit.bank_serial == result.lines[0].bank_serial
    assert (credit.account_number, credit.account_holder, credit.amount_fen) == (card(1), "张小明", 80_000)


async def test_the_same_batch_again_gets_the_same_receipt_and_pays_once(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    file = disbursement("PAY-A2", line(1), line(2))
    assert await gateway.submit(file) == await gateway.submit(file)
    assert credited(bank_simulator, "B000001:2027-01") == 1


async def test_processing_is_an_answer_not_an_error(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    bank_simulator.state.set_processing_seconds(3600)
    await gateway.submit(disbursement("PAY-A3", line(1)))
    result = await gateway.result("PAY-A3")
    assert result.state == "processing" and result.lines == ()
    assert credited(bank_simulator, "B000001:2027-01") == 0


async def test_a_bank_that_rejects_the_file_after_taking_it(gateway: HttpBankGateway) -> None:
    await gateway.submit(disbursement("PAY-A4", line(1), payer_account="12345678901234567890"))
    result = await gateway.result("PAY-A4")
    assert result.state == "rejected" and result.rejected_reason and "付款账号" in result.rejected_reason


async def test_a_lost_answer_is_unavailable_and_the_retry_pays_nothing_more(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    bank_simulator.state.faults.add(FaultRequest(kind="timeout", endpoint="submit", sleep_seconds=3))
    file = disbursement("PAY-A5", line(1), line(2))
    with pytest.raises(BankUnavailable, match=f"{TIMEOUT:g} 秒内未应答"):
        await gateway.submit(file)
    receipt = await gateway.submit(file)  # what the activity's retry does
    assert receipt and credited(bank_simulator, "B000001:2027-01") == 1
    assert bank_simulator.state.summary()[0] == 2


async def test_a_result_that_times_out_is_unavailable(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    await gateway.submit(disbursement("PAY-A6", line(1)))
    bank_simulator.state.faults.add(FaultRequest(kind="timeout", endpoint="result", sleep_seconds=3))
    with pytest.raises(BankUnavailable):
        await gateway.result("PAY-A6")
    assert (await gateway.result("PAY-A6")).state == "completed"


@pytest.mark.parametrize("endpoint", ["submit", "result"])
async def test_503_is_unavailable(
    gateway: HttpBankGateway, bank_simulator: BankSimulator, endpoint: str
) -> None:
    file = disbursement("PAY-A7", line(1))
    if endpoint == "result":
        await gateway.submit(file)
    bank_simulator.state.faults.add(FaultRequest(kind="unavailable", endpoint=endpoint))
    with pytest.raises(BankUnavailable, match=r"HTTP 503.*暂不可用"):
        await (gateway.submit(file) if endpoint == "submit" else gateway.result("PAY-A7"))


async def test_a_truncated_answer_is_unavailable_never_half_booked(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    file = disbursement("PAY-A8", line(1), line(2), line(3), line(4))
    bank_simulator.state.faults.add(FaultRequest(kind="truncated"))
    with pytest.raises(BankUnavailable, match="回执号"):
        await gateway.submit(file)
    bank_simulator.state.faults.add(FaultRequest(kind="truncated"))
    with pytest.raises(BankUnavailable, match="明细笔数不符"):
        await gateway.result("PAY-A8")
    assert len((await gateway.result("PAY-A8")).lines) == 4


async def test_a_batch_id_reused_for_other_content_is_rejected(gateway: HttpBankGateway) -> None:
    await gateway.submit(disbursement("PAY-A9", line(1)))
    with pytest.raises(BankRejected, match=r"HTTP 409.*PAY-A9 已用于内容不同的代发文件"):
        await gateway.submit(disbursement("PAY-A9", line(1, 99_999)))


class _MiscountedFile(DisbursementFile):
    """A file whose header disagrees with its lines, as a buggy writer would produce."""

    __slots__ = ()

    def render(self) -> str:
        return super().render().replace(f"|{self.total_fen}|", f"|{self.total_fen + 1}|", 1)


async def test_a_malformed_file_is_rejected_and_pays_nothing(
    gateway: HttpBankGateway, bank_simulator: BankSimulator
) -> None:
    file = _MiscountedFile("PAY-A10", "44001000000000000001", "2027-01-05", (line(1),))
    with pytest.raises(BankRejected, match=r"HTTP 422.*金额合计不符"):
        await gateway.submit(file)
    with pytest.raises(BankBatchUnknown, match="查无代发批次 PAY-A10"):
        await gateway.result("PAY-A10")
    assert bank_simulator.state.summary()[0] == 0


async def test_an_unknown_batch_is_rejected_not_retried(gateway: HttpBankGateway) -> None:
    with pytest.raises(BankRejected):  # BankBatchUnknown is a BankRejected
        await gateway.result("NEVER-SENT")


async def test_a_wrong_key_is_rejected_with_the_setting_to_fix(bank_simulator: BankSimulator) -> None:
    settings = load_settings(bank_base_url=bank_simulator.base_url, bank_api_key="wrong")
    async with httpx.AsyncClient() as client:
        gateway = make_bank_gateway(settings, client)
        with pytest.raises(BankRejected, match="BANK_API_KEY"):
            await gateway.submit(disbursement("PAY-A11", line(1)))
        with pytest.raises(BankRejected, match="BANK_API_KEY"):
            await gateway.result("PAY-A11")
        await gateway.aclose()  # a shared client stays open for its owner
        assert not client.is_closed


async def test_no_bank_listening_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    gateway = make_bank_gateway(load_settings(bank_base_url=f"http://127.0.0.1:{port}"))
    try:
        with pytest.raises(BankUnavailable, match="无法连接银行"):
            await gateway.submit(disbursement("PAY-A12", line(1)))
    finally:
        await gateway.aclose()


async def test_the_settings_defaults_match_the_simulator() -> None:
    from simulators.bank import DEV_API_KEY, DEV_PAYER_ACCOUNT

    settings = load_settings()
    assert settings.bank_api_key == DEV_API_KEY
    assert settings.bank_payer_account == DEV_PAYER_ACCOUNT
    assert settings.bank_base_url == "http://127.0.0.1:8200" and settings.bank_batch_size == 5000
