"""What the simulated bank holds: registered accounts, received batches, the credit ledger.

Everything sits behind one `threading.Lock`, not an asyncio lock: the server runs on its own event
loop (in a thread, in tests) while a test inspects or resets the same state from its own thread.
The critical sections never await, and running a 5,000-line file takes a few milliseconds.

A batch runs lazily: when `processing_seconds` have passed since it was received, the first look
at it (its result, or the ledger) credits its paid lines. No background task, so no timing races.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from domain.bank import (
    BatchResult,
    DisbursementFile,
    FailureReason,
    LineResult,
    LineStatus,
    valid_account_number,
)
from simulators.bank.faults import FaultBook

AccountStatus = Literal["open", "closed", "frozen"]
DEV_PAYER_ACCOUNT = "44001000000000000001"  # infra.settings has the same default
_STATUS_FAILURES: dict[str, FailureReason] = {
    "closed": FailureReason.ACCOUNT_CLOSED,
    "frozen": FailureReason.ACCOUNT_FROZEN,
}


class BatchConflict(Exception):
    """The batch id is known with different content."""


@dataclass(frozen=True, slots=True)
class Account:
    number: str
    holder: str
    status: AccountStatus = "open"


@dataclass(frozen=True, slots=True)
class Credit:
    reference: str
    batch_id: str
    bank_serial: str
    account_number: str
    account_holder: str
    amount_fen: int


@dataclass(slots=True)
class Batch:
    file: DisbursementFile
    receipt: str
    received_at: float
    result: BatchResult | None = None  # set once the bank has run it


@dataclass
class BankState:
    processing_seconds: float = 0.0
    payer_accounts: frozenset[str] = frozenset({DEV_PAYER_ACCOUNT})
    clock: Callable[[], float] = time.monotonic
    faults: FaultBook = field(default_factory=FaultBook)
    accounts: dict[str, Account] = field(default_factory=dict)
    invalid_references: set[str] = field(default_factory=set)
    batches: dict[str, Batch] = field(default_factory=dict)
    credits: list[Credit] = field(default_factory=list)
    _by_reference: dict[str, list[Credit]] = field(default_factory=lambda: defaultdict(list))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _receipts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._default_processing_seconds = self.processing_seconds

    # --- the bank's side of the interface -------------------------------------------------

    def submit(self, file: DisbursementFile) -> str:
        """The receipt of the batch. A batch id seen before with the same content answers the same
        receipt and is not run again; with different content it is a conflict."""
        with self._lock:
            known = self.batches.get(file.batch_id)
            if known is not None:
                if known.file != file:
                    raise BatchConflict(file.batch_id)
                return known.receipt
            receipt = f"RC{next(self._receipts):012d}"
            self.batches[file.batch_id] = Batch(file, receipt, self.clock())
            self._settle_due()
            return receipt

    def result(self, batch_id: str) -> BatchResult | None:
        with self._lock:
            self._settle_due()
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            return batch.result or BatchResult(batch_id, "processing", (), None)

    # --- admin ----------------------------------------------------------------------------

    def register(self, account: Account) -> None:
        with self._lock:
            self.accounts[account.number] = account

    def mark_invalid(self, references: list[str]) -> None:
        with self._lock:
            self.invalid_references.update(references)

    def credits_of(self, reference: str) -> list[Credit]:
        with self._lock:
            self._settle_due()
            return list(self._by_reference.get(reference, ()))

    def summary(self) -> tuple[int, int, int, dict[str, list[Credit]]]:
        """(credit count, total fen, distinct references, references credited more than once)."""
        with self._lock:
            self._settle_due()
            duplicates = {ref: list(cs) for ref, cs in self._by_reference.items() if len(cs) > 1}
            total = sum(c.amount_fen for c in self.credits)
            return len(self.credits), total, len(self._by_reference), duplicates

    def set_processing_seconds(self, seconds: float | None) -> None:
        with self._lock:
            self.processing_seconds = self._default_processing_seconds if seconds is None else seconds

    def reset(self) -> None:
        """Forget everything but the configuration: accounts, batches, credits, marked lines, faults."""
        self.faults.clear()
        with self._lock:
            self.accounts.clear()
            self.invalid_references.clear()
            self.batches.clear()
            self.credits.clear()
            self._by_reference.clear()
            self.processing_seconds = self._default_processing_seconds

    # --- running a batch ------------------------------------------------------------------

    def _settle_due(self) -> None:
        now = self.clock()
        for batch in self.batches.values():
            if batch.result is None and now - batch.received_at >= self.processing_seconds:
                batch.result = self._run(batch.file)

    def _run(self, file: DisbursementFile) -> BatchResult:
        if file.payer_account not in self.payer_accounts:
            return BatchResult(file.batch_id, "rejected", (), "付款账号不存在或未开通代发业务")
        results = []
        paid_total = 0
        for line in file.lines:
            reason = self._verdict(line.reference, line.account_number, line.account_holder)
            if reason is not None:
                results.append(LineResult(line.reference, LineStatus.FAILED, reason, None))
                continue
            serial = f"BS{next(self._serials):014d}"
            credit = Credit(
                line.reference,
                file.batch_id,
                serial,
                line.account_number,
                line.account_holder,
                line.amount_fen,
            )
            self.credits.append(credit)
            self._by_reference[line.reference].append(credit)
            paid_total += line.amount_fen
            results.append(LineResult(line.reference, LineStatus.PAID, None, serial))
        return BatchResult(file.batch_id, "completed", tuple(results), None, paid_total)

    def _verdict(self, reference: str, number: str, holder: str) -> FailureReason | None:
        if reference in self.invalid_references:
            return FailureReason.INVALID_LINE
        if not valid_account_number(number):
            return FailureReason.ACCOUNT_NOT_FOUND
        account = self.accounts.get(number)
        if account is None:
            return None  # an unregistered, well-formed number is an open account in its own name
        if account.status in _STATUS_FAILURES:
            return _STATUS_FAILURES[account.status]
        if account.holder != holder:
            return FailureReason.NAME_MISMATCH
        return None
