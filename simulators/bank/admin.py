"""Admin API of the bank simulator, for tests and demos: register accounts (closed, frozen, another
holder), mark lines the bank will refuse, look at what was credited, inject faults, reset.
No authentication: the simulator is a development tool bound to the loopback interface."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from simulators.bank.faults import FaultRequest
from simulators.bank.state import Account, AccountStatus, BankState, Credit


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=32)
    holder: str = Field(min_length=1, max_length=60)
    status: AccountStatus = "open"


class InvalidLines(BaseModel):
    references: list[str] = Field(min_length=1)


class Processing(BaseModel):
    seconds: float | None = Field(default=None, ge=0, le=86_400)  # None: back to the configured value


class CreditView(BaseModel):
    reference: str
    batch_id: str
    bank_serial: str
    account_number: str
    account_holder: str
    amount_fen: int

    @classmethod
    def of(cls, credit: Credit) -> CreditView:
        return cls(
            reference=credit.reference,
            batch_id=credit.batch_id,
            bank_serial=credit.bank_serial,
            account_number=credit.account_number,
            account_holder=credit.account_holder,
            amount_fen=credit.amount_fen,
        )


class ReferenceCredits(BaseModel):
    reference: str
    count: int
    total_fen: int
    credits: list[CreditView]

    @classmethod
    def of(cls, reference: str, credits: list[Credit]) -> ReferenceCredits:
        return cls(
            reference=reference,
            count=len(credits),
            total_fen=sum(c.amount_fen for c in credits),
            credits=[CreditView.of(c) for c in credits],
        )


class LedgerSummary(BaseModel):
    credit_count: int
    total_fen: int
    reference_count: int
    duplicates: list[ReferenceCredits]  # references credited more than once: a payment made twice


def admin_router(state: BankState) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["模拟器管理"])

    @router.post("/accounts", status_code=201)
    async def register_account(body: AccountIn) -> AccountIn:
        state.register(Account(body.number, body.holder, body.status))
        return body

    @router.post("/invalid-lines", status_code=201)
    async def mark_invalid(body: InvalidLines) -> dict[str, int]:
        state.mark_invalid(body.references)
        return {"marked": len(body.references)}

    @router.get("/ledger")
    async def ledger(reference: Annotated[str, Query(min_length=1)]) -> ReferenceCredits:
        return ReferenceCredits.of(reference, state.credits_of(reference))

    @router.get("/ledger/summary")
    async def ledger_summary() -> LedgerSummary:
        count, total, references, duplicates = state.summary()
        return LedgerSummary(
            credit_count=count,
            total_fen=total,
            reference_count=references,
            duplicates=[ReferenceCredits.of(ref, cs) for ref, cs in sorted(duplicates.items())],
        )

    @router.get("/faults")
    async def get_faults() -> list[dict[str, object]]:
        return state.faults.pending()

    @router.post("/faults")
    async def add_fault(body: FaultRequest) -> list[dict[str, object]]:
        state.faults.add(body)
        return state.faults.pending()

    @router.delete("/faults")
    async def clear_faults() -> list[dict[str, object]]:
        state.faults.clear()
        return []

    @router.put("/processing")
    async def set_processing(body: Processing) -> dict[str, float]:
        state.set_processing_seconds(body.seconds)
        return {"seconds": state.processing_seconds}

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    return router
