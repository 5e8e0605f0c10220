"""The bank simulator's own state behind the BankGateway interface, called in process: for the
data-access tests of the payroll, which need no HTTP and no Temporal."""

from __future__ import annotations

from domain.bank import BatchResult, DisbursementFile
from simulators.bank import BankState


class InProcessBank:
    def __init__(self) -> None:
        self.state = BankState()

    async def submit(self, file: DisbursementFile) -> str:
        return self.state.submit(file)

    async def result(self, batch_id: str) -> BatchResult:
        result = self.state.result(batch_id)
        assert result is not None
        return result
