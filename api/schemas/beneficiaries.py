"""Enrolled households (救助对象), their payee account, recovery (追回) and credit file (信用档案)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.codes import AccountNumber, Month, Reference
from domain.beneficiary import BeneficiaryStatus, FraudFinding, LifecycleView
from infra.models import Beneficiary

Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class BeneficiaryOut(BaseModel):
    application_number: str
    assistance_type: str
    county_code: str
    township_code: str
    community_code: str
    category: str | None
    monthly_amount_fen: int
    start_month: str
    status: BeneficiaryStatus
    masked_name: str
    next_review_month: str | None
    phase_out_until: str | None
    exit_month: str | None
    integrity_mark: bool

    @classmethod
    def from_row(cls, b: Beneficiary) -> BeneficiaryOut:
        return cls.model_validate(b, from_attributes=True)


class BeneficiaryPage(BaseModel):
    items: list[BeneficiaryOut]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    summary: str
    actor_username: str | None
    actor_role: str | None
    data: dict[str, Any]


class AccountOut(BaseModel):
    account_holder: str = Field(description="开户人（脱敏）")
    account: str = Field(description="发放账户（脱敏，仅显示后四位）")
    bank_name: str
    updated_by: str
    updated_at: datetime


class BeneficiaryDetail(BaseModel):
    beneficiary: BeneficiaryOut
    live: bool = Field(description="是否取得了流程的实时状态")
    lifecycle: LifecycleView | None
    account: AccountOut | None
    events: list[EventOut]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_number: AccountNumber
    account_holder: Text64
    bank_name: Text64


class FraudFindingIn(FraudFinding):
    """The domain's finding as the API takes it: the month normalised at the edge, so "２０２６-12" is
    the month 2026-12 (the domain itself accepts ASCII digits only)."""

    since_month: Month = Field(description="自哪个月起不符合条件（YYYY-MM），该月起已发放的资金予以追回")

    def finding(self) -> FraudFinding:
        return FraudFinding.model_validate(self.model_dump())


class RecoveryPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: Reference = Field(description="收款凭证号：重复提交同一凭证只记一次（全角字符按半角记）")
    amount_fen: Annotated[int, Field(gt=0, le=1_000_000_000)]
    received_on: date


class RecoveryPaymentOut(BaseModel):
    reference: str
    amount_fen: int
    received_on: date
    recorded_by: str
    recorded_at: datetime


class RecoveryOut(BaseModel):
    application_number: str
    since_month: str
    amount_due_fen: int
    amount_recovered_fen: int
    outstanding_fen: int
    status: str
    status_label: str
    findings: str
    decided_by: str
    created_at: datetime
    payments: list[RecoveryPaymentOut]


class CreditRecordOut(BaseModel):
    application_number: str
    county_code: str
    township_code: str | None
    kind: str
    kind_label: str
    summary: str
    at: datetime
