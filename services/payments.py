"""Finance (财务发放): the queue of failed payment orders, retrying them, in-kind delivery, and
starting / listing the monthly payroll runs of a county.

Every order and run is scoped by county: a finance officer of 海珠区 never sees 天河区's money.
State changes are conditional UPDATEs (`… WHERE status = failed`), so two clicks on "retry" or a
payroll finishing at the same moment cannot move an order twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError

from api.schemas.payments import (
    BatchOut,
    DeliveredIn,
    FailedOrderOut,
    FailedOrderPage,
    OrderOut,
    PayrollRunOut,
    RunStarted,
)
from domain.bank import FAILURE_LABELS, FailureReason
from domain.beneficiary import current_month
from domain.masking import mask_account
from domain.payroll import (
    NO_ACCOUNT,
    NO_ACCOUNT_LABEL,
    OrderStatus,
    PayrollInput,
    future_month_refusal,
    payroll_workflow_id,
)
from domain.staff import Actor, Role, covers
from infra.models import PayeeAccount, PaymentBatch, PaymentOrder, PayrollRun
from services.audit_chain import Clock
from services.errors import ApiError, forbidden
from workflows.payroll import PayrollWorkflow

# Finance runs the money; the county approver and the supervisor read the runs (they answer for
# them), as the API's route guards and the finance pages both take from here.
PAYROLL_STARTERS = (Role.FINANCE_OFFICER,)
RUN_READERS = (Role.FINANCE_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR)
QUEUE_KEEPERS = (Role.FINANCE_OFFICER,)

# A delivery time a little ahead of the server's clock is the office PC's clock, not the future.
_CLOCK_SKEW = timedelta(minutes=5)


def reason_label(reason: str | None) -> str:
    if reason == NO_ACCOUNT:
        return NO_ACCOUNT_LABEL
    try:
        return FAILURE_LABELS[FailureReason(reason or "")]
    except ValueError:
        return "银行退回（原因未注明）"


def masked_account(last4: str | None) -> str | None:
    # Only the last four digits are kept in clear: the masked form is built from them alone.
    return None if last4 is None else mask_account("0" * 15 + last4)


def check_county(actor: Actor, county_code: str) -> None:
    """A county-level role acts on its own county; township staff are inside one county too."""
    if not (covers(actor.region_code, county_code) or covers(county_code, actor.region_code)):
        raise forbidden("该县（区）不在您的管辖范围内")


@dataclass(frozen=True)
class QueueFilter:
    month: str | None = None
    reason: str | None = None
    limit: int = 50
    offset: int = 0


class PaymentService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], client: Client, task_queue: str,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self._clock = clock
        self._sessions = sessions
        self._client = client
        self._task_queue = task_queue

    # -- the finance queue ---------------------------------------------------------------------
    async def queue(self, actor: Actor, f: QueueFilter) -> FailedOrderPage:
        o, a = PaymentOrder, PayeeAccount
        conditions = [
            o.status == OrderStatus.FAILED.value,
            o.township_code.startswith(actor.region_code, autoescape=True),
        ]
        if f.month:
            conditions.append(o.month == f.month)
        if f.reason:
            conditions.append(o.failure_reason == f.reason)
        query = select(o, a.account_last4, a.bank_name).outerjoin(
            a, a.application_number == o.application_number
        )
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(o).where(*conditions))
            rows = (
                await session.execute(
                    query.where(*conditions).order_by(o.month, o.id).limit(f.limit).offset(f.offset)
                )
            ).all()
        items = [
            FailedOrderOut(
                **OrderOut.from_row(order).model_dump(),
                failure_reason=order.failure_reason,
                reason_label=reason_label(order.failure_reason),
                attempts=order.attempts,
                account=masked_account(last4),
                bank_name=bank_name,
            )
            for order, last4, bank_name in rows
        ]
        return FailedOrderPage(items=items, total=int(total or 0), limit=f.limit, offset=f.offset)

    async def _order(self, session: AsyncSession, order_key: str, actor: Actor) -> PaymentOrder:
        order = await session.scalar(select(PaymentOrder).where(PaymentOrder.order_key == order_key))
        # Outside the jurisdiction reads as missing: an order key says nothing to outsiders.
        if order is None or not covers(actor.region_code, order.township_code or order.county_code or ""):
            raise ApiError(404, "order_not_found", f"未找到发放指令 {order_key}")
        return order

    async def order(self, order_key: str, actor: Actor) -> OrderOut:
        """One order as it stands now (e.g. after a retry), inside the caller's jurisdiction."""
        async with self._sessions() as session:
            return OrderOut.from_row(await self._order(session, order_key, actor))

    async def retry(self, order_key: str, actor: Actor) -> OrderOut:
        async with self._sessions.begin() as session:
            order = await self._order(session, order_key, actor)
            if order.status != OrderStatus.FAILED.value:
                raise ApiError(409, "order_not_failed", "只有发放失败的指令才能重新发放")
            if order.failure_reason == NO_ACCOUNT:
                has_account = await session.get(PayeeAccount, order.application_number)
                if has_account is None:
                    raise ApiError(409, "no_account", "该户尚未登记发放账户，请先登记账户再重新发放")
            moved = await session.execute(
                update(PaymentOrder)
                .where(PaymentOrder.id == order.id, PaymentOrder.status == OrderStatus.FAILED.value)
                .values(status=OrderStatus.RETRY.value)
            )
            if not getattr(moved, "rowcount", 1):
                raise ApiError(409, "order_not_failed", "该指令已被他人处理")
            await session.refresh(order)
            return OrderOut.from_row(order)

    async def delivered(self, order_key: str, actor: Actor, body: DeliveredIn) -> OrderOut:
        async with self._sessions.begin() as session:
            order = await self._order(session, order_key, actor)
            if order.form_of_aid != "in_kind":
                raise ApiError(409, "not_in_kind", "该指令为现金发放，由银行代发，不能登记实物发放")
            if order.status == OrderStatus.DELIVERED.value:
                return OrderOut.from_row(order)  # a repeated click: already recorded
            if order.status not in (OrderStatus.ORDERED.value, OrderStatus.RETRY.value):
                raise ApiError(409, "order_not_open", "该指令已取消或已办结，不能登记发放")
            now = datetime.now(UTC)
            delivered_at = body.delivered_at or now
            if delivered_at > now + _CLOCK_SKEW:
                raise ApiError(422, "delivered_in_future", "实物交付时间不能晚于当前时间，请核对后重新填写")
            moved = await session.execute(
                update(PaymentOrder)
                .where(PaymentOrder.id == order.id, PaymentOrder.status == order.status)
                .values(
                    status=OrderStatus.DELIVERED.value, paid_at=delivered_at,
                    bank_serial=f"实物:{actor.username}"[:40],
                )
            )  # fmt: skip
            await session.refresh(order)
            if not getattr(moved, "rowcount", 1) and order.status != OrderStatus.DELIVERED.value:
                raise ApiError(409, "order_not_open", "该指令已被他人处理（如已取消），不能登记发放")
            return OrderOut.from_row(order)  # moved now, or by a simultaneous click: delivered once

    # -- payroll runs --------------------------------------------------------------------------
    async def start_run(self, actor: Actor, county_code: str, month: str) -> RunStarted:
        check_county(actor, county_code)
        refusal = future_month_refusal(month, current_month(self._clock()))
        if refusal:
            raise ApiError(422, "month_in_future", refusal)
        workflow_id = payroll_workflow_id(county_code, month)
        try:
            # One run of a month at a time (use the running one); a finished month may be run
            # again: it pays only what is still unpaid (the finance queue's corrected orders).
            handle = await self._client.start_workflow(
                PayrollWorkflow.run, PayrollInput(county_code, month), id=workflow_id,
                task_queue=self._task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )  # fmt: skip
        except (RPCError, RuntimeError) as exc:
            raise ApiError(503, "workflow_unavailable", "流程服务暂时不可用，发放未启动，请稍后重试") from exc
        return RunStarted(
            workflow_id=workflow_id, run_id=handle.first_execution_run_id or handle.result_run_id or "",
            county_code=county_code, month=month,
        )  # fmt: skip

    async def runs(self, actor: Actor, county_code: str | None, month: str | None) -> list[PayrollRunOut]:
        county = county_code or actor.region_code[:6]
        check_county(actor, county)
        conditions = [PayrollRun.county_code == county]
        if month:
            conditions.append(PayrollRun.month == month)
        async with self._sessions() as session:
            runs = list(
                await session.scalars(select(PayrollRun).where(*conditions).order_by(PayrollRun.month.desc()))
            )
            batches = list(
                await session.scalars(
                    select(PaymentBatch)
                    .where(PaymentBatch.run_id.in_([r.id for r in runs]))
                    .order_by(PaymentBatch.seq)
                )
            )
            counts = (
                await session.execute(
                    select(PaymentOrder.run_id, PaymentOrder.status, func.count())
                    .where(PaymentOrder.run_id.in_([r.id for r in runs]))
                    .group_by(PaymentOrder.run_id, PaymentOrder.status)
                )
            ).all()
        by_run: dict[int, dict[str, int]] = {}
        for run_id, status, n in counts:
            if run_id is not None:
                by_run.setdefault(int(run_id), {})[str(status)] = int(n)
        return [
            PayrollRunOut.from_row(
                r,
                by_run.get(r.id, {}),
                [BatchOut.model_validate(b, from_attributes=True) for b in batches if b.run_id == r.id],
            )
            for r in runs
        ]
