"""Monthly payroll (按月发放) and payment orders: statuses and the payroll workflow's payloads.

A payment order is the bureau's promise to pay one household one month (or one stage of a
temporary assistance). Its key — household and month — is unique in the database, so however often
the payroll runs, a household is ordered, and therefore paid, at most once for a month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OrderStatus(StrEnum):
    ORDERED = "ordered"  # in the frozen snapshot, not yet in a bank file
    BATCHED = "batched"  # in a bank file (sent or about to be sent)
    PAID = "paid"  # the bank's result file says credited
    FAILED = "failed"  # the bank refused the line: the finance queue
    RETRY = "retry"  # finance corrected it: goes into the next bank file
    DELIVERED = "delivered"  # in kind (实物): handed over by the township
    CANCELLED = "cancelled"


ORDER_STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.ORDERED: "待发放",
    OrderStatus.BATCHED: "银行处理中",
    OrderStatus.PAID: "已到账",
    OrderStatus.FAILED: "发放失败待处理",
    OrderStatus.RETRY: "待重新发放",
    OrderStatus.DELIVERED: "已发放实物",
    OrderStatus.CANCELLED: "已取消",
}

# Reasons of our own (besides the bank's) why an order lands in the finance queue.
NO_ACCOUNT = "no_account"
NO_ACCOUNT_LABEL = "未登记发放账户"


class OrderKind(StrEnum):
    MONTHLY = "monthly"  # 低保/特困/两项补贴 monthly allowance
    ONE_OFF = "one_off"  # 临时救助 one-off
    STAGE = "stage"  # 临时救助 paid in stages
    RESCUE = "rescue"  # 急难型先行救助
    RECOVERY = "recovery"  # 追回 (money coming back: recorded, never disbursed)


def future_month_refusal(month: str, current: str) -> str | None:
    """Why a payroll of `month` may not run when it is `current` (Beijing) — None when it may.
    Money for a month not yet begun would leave before the month's snapshot could be right (an
    exit or a new amount of the coming weeks would be missed)."""
    if month > current:
        return f"不能发放尚未到来的月份：{month}（当前为北京时间 {current}）"
    return None


def payroll_workflow_id(county_code: str, month: str) -> str:
    """The one workflow of a county's month, whether the Schedule or finance starts it."""
    return f"payroll-{county_code}-{month}"


def monthly_order_key(application_number: str, month: str) -> str:
    return f"{application_number}:{month}"


@dataclass
class PayrollInput:
    county_code: str
    # The month paid; None when a Schedule starts the run: the month of the run's start (Beijing).
    month: str | None = None
    batch_size: int = 5000
    # How long one step (a bank file, a reconciliation) may take before Temporal retries it — also
    # how soon a step lost with a crashed worker is taken up again.
    step_timeout_seconds: int = 120


@dataclass
class FreezeResult:
    run_id: int
    month: str
    orders_created: int
    orders_total: int
    households_total_fen: int


@dataclass
class PlanBatchesInput:
    run_id: int
    batch_size: int


@dataclass
class BatchRef:
    batch_id: str
    lines: int
    total_fen: int


@dataclass
class BatchOutcome:
    batch_id: str
    state: str  # processing | completed | rejected
    paid: int = 0
    failed: int = 0
    paid_fen: int = 0


@dataclass
class PayrollResult:
    county_code: str
    month: str
    run_id: int
    orders: int
    batches: list[BatchOutcome] = field(default_factory=list)
    paid: int = 0
    failed: int = 0
    paid_fen: int = 0


@dataclass
class PublishDisclosureInput:
    county_code: str
    month: str  # the month whose payments are published


@dataclass
class DisclosureInput:
    county_code: str
    # The month published; None from the Schedule: the month before the run's start (Beijing).
    month: str | None = None
