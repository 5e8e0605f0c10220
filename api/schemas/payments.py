"""Payment orders, the finance queue, payroll runs and the public disclosure (发放与公开)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.params import representable
from api.schemas.codes import CountyCode, Month
from domain.amounts import format_yuan
from domain.calendar import CHINA_TZ
from domain.payroll import ORDER_STATUS_LABELS, OrderStatus
from infra.models import PaymentOrder, PayrollRun


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class OrderOut(BaseModel):
    order_key: str
    application_number: str
    kind: str
    month: str | None
    county_code: str | None
    township_code: str | None
    assistance_type: str | None
    amount_fen: int
    amount: str = Field(description="金额（元）")
    form_of_aid: str
    masked_name: str
    status: OrderStatus
    status_label: str
    paid_at: datetime | None

    @classmethod
    def from_row(cls, o: PaymentOrder) -> OrderOut:
        status = OrderStatus(o.status)
        return cls(
            order_key=o.order_key, application_number=o.application_number, kind=o.kind, month=o.month,
            county_code=o.county_code, township_code=o.township_code, assistance_type=o.assistance_type,
            amount_fen=o.amount_fen, amount=format_yuan(o.amount_fen), form_of_aid=o.form_of_aid,
            masked_name=o.masked_name, status=status, status_label=ORDER_STATUS_LABELS[status], paid_at=o.paid_at,
        )  # fmt: skip


class FailedOrderOut(OrderOut):
    failure_reason: str | None
    reason_label: str = Field(description="失败原因")
    attempts: int
    account: str | None = Field(description="发放账户（脱敏，仅显示后四位）；未登记为空")
    bank_name: str | None


class FailedOrderPage(BaseModel):
    items: list[FailedOrderOut]
    total: int
    limit: int
    offset: int


def beijing_if_naive(value: datetime) -> datetime:
    """A time typed at the township office without a zone is Beijing time (the column needs a zone:
    a naive value used to fail on storing, a 500)."""
    return value.replace(tzinfo=CHINA_TZ) if value.tzinfo is None else value


class DeliveredIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delivered_at: (
        Annotated[datetime, AfterValidator(beijing_if_naive), AfterValidator(representable)] | None
    ) = Field(default=None, description="实物交付时间（未注明时区按北京时间），默认为当前时间")


class StartRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county_code: CountyCode
    month: Month


class RunStarted(BaseModel):
    workflow_id: str
    run_id: str = Field(description="Temporal 运行编号")
    county_code: str
    month: str
    message: str = "发放已启动"


class BatchOut(BaseModel):
    batch_id: str
    seq: int
    status: str
    lines: int
    total_fen: int
    paid: int
    failed: int
    paid_fen: int
    note: str
    created_at: datetime
    completed_at: datetime | None


class PayrollRunOut(BaseModel):
    run_id: int
    county_code: str
    month: str
    status: str
    households: int
    total_fen: int
    runs: int
    frozen_at: datetime
    completed_at: datetime | None
    orders_by_status: dict[str, int]
    batches: list[BatchOut]

    @classmethod
    def from_row(cls, r: PayrollRun, counts: dict[str, int], batches: list[BatchOut]) -> PayrollRunOut:
        return cls(
            run_id=r.id, county_code=r.county_code, month=r.month, status=r.status, households=r.households,
            total_fen=r.total_fen, runs=r.runs, frozen_at=r.frozen_at, completed_at=r.completed_at,
            orders_by_status=counts, batches=batches,
        )  # fmt: skip


class DisclosureRow(BaseModel):
    masked_name: str = Field(description="姓名（脱敏）")
    masked_id_number: str = Field(description="身份证号（脱敏）")
    assistance_type: str | None
    type_label: str = Field(description="救助类别")
    amount: str = Field(description="金额（元）")
    township_code: str | None
    township_name: str
    published: bool = Field(description="是否已公开（按月公开或其后的补充公开）")


class DisclosureOut(BaseModel):
    county_code: str
    month: str
    published: bool = Field(description="是否已按月公开（公开流程已执行；其后到账的款项由补充公开发布）")
    published_at: datetime | None
    households: int
    total: str = Field(description="合计金额（元）")
    rows: list[DisclosureRow]
