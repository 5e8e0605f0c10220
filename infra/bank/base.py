"""The bank gateway contract the payroll activities use, and its two failures.

- `BankUnavailable`: no answer (timeout, connection refused or dropped), HTTP 5xx or 429, a garbled
  answer. Whether the bank took the file is unknown: the caller retries *the same batch id*, which
  the bank answers with the same receipt and never pays again.
- `BankRejected`: the bank refused the whole file (malformed, batch id reused for other content,
  our key refused). Retrying the same request cannot succeed.
Messages name batch ids only, never accounts or names: they travel into workflow history.
"""

from __future__ import annotations

from typing import Protocol

from domain.bank import BatchResult, DisbursementFile


class BankUnavailable(Exception):
    """The bank did not answer usefully; retry with the same batch id."""


class BankRejected(Exception):
    """The bank refused the request; retrying it unchanged will not help."""


class BankBatchUnknown(BankRejected):
    """The bank has no batch with this id (its result was asked for, but the file never arrived)."""


class BankGateway(Protocol):
    async def submit(self, file: DisbursementFile) -> str:
        """The bank's receipt number. Idempotent by batch id: the same batch resubmitted returns the
        same receipt and credits nothing again."""
        ...

    async def result(self, batch_id: str) -> BatchResult:
        """The batch's result; state "processing" until the bank has run the file."""
        ...
