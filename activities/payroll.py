"""Payroll side effects: freeze the month's snapshot into payment orders, cut them into bank files,
send the files, and reconcile the bank's result files.

Exactly-once money rests on three keys, each enforced where it cannot be bypassed:
- an order per (household, kind, month) — a unique constraint: a rerun orders nobody again;
- an order joins a bank file only from `ordered`/`retry` — the transition to `batched` happens in
  the same transaction that records the file, so a crash leaves either both or neither;
- a file's content is sealed when it is built and resent byte for byte under the same batch id, so
  the bank recognises a resend after a crash and credits nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.bank import BatchResult, DisbursementFile, DisbursementLine, LineStatus
from domain.beneficiary import PAYABLE_STATUSES
from domain.payroll import (
    NO_ACCOUNT,
    BatchOutcome,
    BatchRef,
    FreezeResult,
    OrderKind,
    OrderStatus,
    PlanBatchesInput,
    PublishDisclosureInput,
)
from infra.bank.base import BankBatchUnknown, BankGateway, BankRejected, BankUnavailable
from infra.db import conflict_insert
from infra.models import (
    Beneficiary,
    Disclosure,
    PayeeAccount,
    PaymentBatch,
    PaymentOrder,
    PayrollRun,
    Recovery,
)
from infra.pii import PiiVault

log = logging.getLogger(__name__)

# Orders the bank pays: cash, not the 急难型 rescue (paid at the counter within 24 hours).
_BANK_KINDS = (OrderKind.MONTHLY.value, OrderKind.ONE_OFF.value, OrderKind.STAGE.value)
# Orders a bank file may take.
_OPEN = (OrderStatus.ORDERED.value, OrderStatus.RETRY.value)
# Ids per `IN (...)`: far below SQLite's 32,766 bound parameters.
_CHUNK = 5000


def _batch_id(run: PayrollRun, seq: int) -> str:
    return f"{run.county_code}-{run.month.replace('-', '')}-{seq:03d}"


class PayrollActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bank: BankGateway,
        vault: PiiVault,
        payer_account: str,
    ) -> None:
        self._sessions = sessions
        self._bank = bank
        self._vault = vault
        self._payer = payer_account

    # -- 1. snapshot ---------------------------------------------------------------------------
    @activity.defn
    async def freeze_snapshot(self, county_code: str, month: str) -> FreezeResult:
        """Create the month's run and its orders in one transaction, once. Later changes to a
        household (an exit, a new amount) apply from the next month's snapshot."""
        now = datetime.now(UTC)
        created = 0
        async with self._sessions.begin() as session:
            run = await self._run(session, county_code, month)
            if run is None:
                run = PayrollRun(county_code=county_code, month=month, status="frozen", frozen_at=now, runs=1)
                session.add(run)
                try:
                    await session.flush()
                except IntegrityError:  # a concurrent run froze it first: use that one
                    raise ApplicationError("同月发放正在冻结，稍后重试", type="PayrollBusy") from None
                created = await self._insert_monthly_orders(session, run, now)
                totals = await session.execute(
                    select(func.count(), func.coalesce(func.sum(PaymentOrder.amount_fen), 0)).where(
                        PaymentOrder.run_id == run.id
                    )
                )
                run.households, run.total_fen = (int(v) for v in totals.one())
            else:
                run.runs += 1
                run.status = "running"
            return FreezeResult(run.id, month, created, run.households, run.total_fen)

    async def _insert_monthly_orders(self, session: AsyncSession, run: PayrollRun, now: datetime) -> int:
        b = Beneficiary
        source = select(
            b.application_number + literal(":") + literal(run.month),
            b.application_number,
            literal(OrderKind.MONTHLY.value),
            literal(run.month),
            b.county_code,
            b.township_code,
            b.assistance_type,
            b.monthly_amount_fen,
            literal("cash"),
            literal(""),
            b.masked_name,
            b.masked_id_number,
            literal(OrderStatus.ORDERED.value),
            literal(run.id),
            literal(0),
            literal(now),
            literal(now),
        ).where(
            b.county_code == run.county_code,
            b.status.in_([s.value for s in PAYABLE_STATUSES]),
            b.start_month <= run.month,
            or_(b.exit_month.is_(None), b.exit_month > run.month),
            b.monthly_amount_fen > 0,
        )
        columns = [
            "order_key", "application_number", "kind", "month", "county_code", "township_code",
            "assistance_type", "amount_fen", "form_of_aid", "item_description", "masked_name",
            "masked_id_number", "status", "run_id", "attempts", "ordered_at", "created_at",
        ]  # fmt: skip
        stmt = conflict_insert(session, PaymentOrder).from_select(columns, source).on_conflict_do_nothing()
        result = await session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    @staticmethod
    async def _run(session: AsyncSession, county_code: str, month: str) -> PayrollRun | None:
        return await session.scalar(
            select(PayrollRun)
            .where(PayrollRun.county_code == county_code, PayrollRun.month == month)
            .with_for_update()
        )

    # -- 2. bank files -------------------------------------------------------------------------
    @activity.defn
    async def plan_batches(self, input: PlanBatchesInput) -> list[BatchRef]:
        """Cut the run's unpaid orders into bank files, and return every file of the run the bank
        has not finished (including ones cut before a crash).

        A run takes its own month's orders, the orders finance marked `retry`, and one-off or stage
        orders left `ordered` from an earlier month (approved after that month's run); never another
        month's monthly orders (that month's run, or its rerun, pays them). Runs of one county may
        still overlap (a retried order is open to each): an order joins a file only if this
        transaction moved it out of `ordered`/`retry` itself, and the file is built from the rows
        claimed, never from the rows read."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            run = await session.get(PayrollRun, input.run_id, with_for_update=True)
            if run is None:
                raise ApplicationError(
                    f"发放批次 {input.run_id} 不存在", type="RunNotFound", non_retryable=True
                )
            rows = await self._candidates(session, run)
            accounts = {r.id: (r.account_sealed, r.account_holder) for r in rows if r.account_sealed}
            missing = [r.id for r in rows if r.account_sealed is None]
            for start in range(0, len(missing), _CHUNK):  # the finance queue: 未登记发放账户
                await session.execute(
                    update(PaymentOrder)
                    .where(
                        PaymentOrder.id.in_(missing[start : start + _CHUNK]), PaymentOrder.status.in_(_OPEN)
                    )
                    .values(status=OrderStatus.FAILED.value, failure_reason=NO_ACCOUNT)
                    .execution_options(synchronize_session=False)
                )
            seq = int(
                await session.scalar(
                    select(func.coalesce(func.max(PaymentBatch.seq), 0)).where(PaymentBatch.run_id == run.id)
                )
                or 0
            )
            payable = list(accounts)
            for start in range(0, len(payable), input.batch_size):
                batch_id = _batch_id(run, seq + 1)
                claimed = await self._claim(session, payable[start : start + input.batch_size], batch_id)
                if claimed:  # a chunk an overlapping run took whole makes no (empty) file
                    seq += 1
                    self._add_batch(session, run, seq, batch_id, claimed, accounts, now)
            await session.flush()
            open_batches = (
                await session.scalars(
                    select(PaymentBatch)
                    .where(PaymentBatch.run_id == run.id, PaymentBatch.status.in_(("built", "submitted")))
                    .order_by(PaymentBatch.seq)
                )
            ).all()
            return [BatchRef(b.batch_id, b.lines, b.total_fen) for b in open_batches]

    @staticmethod
    async def _candidates(session: AsyncSession, run: PayrollRun) -> Sequence[Any]:
        """The orders this run may pay, with their accounts. On PostgreSQL they are locked, and
        rows an overlapping run holds are skipped rather than waited for; `_claim` is what
        guarantees one file per order (SQLite has no row locks)."""
        o, a = PaymentOrder, PayeeAccount
        earlier_one_off = and_(o.kind != OrderKind.MONTHLY.value, or_(o.month.is_(None), o.month < run.month))
        return (
            await session.execute(
                select(o.id, a.account_sealed, a.account_holder)
                .outerjoin(a, a.application_number == o.application_number)
                .where(
                    o.county_code == run.county_code,
                    o.status.in_(_OPEN),
                    o.form_of_aid == "cash",
                    o.kind.in_(_BANK_KINDS),
                    or_(
                        o.month == run.month,
                        and_(
                            o.status == OrderStatus.RETRY.value, or_(o.month.is_(None), o.month <= run.month)
                        ),
                        and_(o.status == OrderStatus.ORDERED.value, earlier_one_off),
                    ),
                )
                .order_by(o.id)
                .with_for_update(of=o, skip_locked=True)
            )
        ).all()

    @staticmethod
    async def _claim(session: AsyncSession, ids: Sequence[int], batch_id: str) -> Sequence[Any]:
        """Move the orders still open to `batched` in this file; returns those moved. The status
        guard is re-checked by the database at write time, so an order another run claimed in
        the meantime is not moved (and not paid) here."""
        o = PaymentOrder
        result = await session.execute(
            update(o)
            .where(o.id.in_(ids), o.status.in_(_OPEN))
            .values(
                status=OrderStatus.BATCHED.value,
                batch_id=batch_id,
                attempts=o.attempts + 1,
                failure_reason=None,
            )
            .returning(o.id, o.order_key, o.amount_fen)
            .execution_options(synchronize_session=False)
        )
        return sorted(result.all(), key=lambda r: r.id)

    def _add_batch(
        self, session: AsyncSession, run: PayrollRun, seq: int, batch_id: str, claimed: Sequence[Any],
        accounts: dict[int, tuple[str, str]], now: datetime,
    ) -> None:  # fmt: skip
        file = DisbursementFile(
            batch_id=batch_id,
            payer_account=self._payer,
            value_date=now.date().isoformat(),
            lines=tuple(
                DisbursementLine(
                    r.order_key, self._vault.open(accounts[r.id][0]), accounts[r.id][1], r.amount_fen
                )
                for r in claimed
            ),
        )
        # Recorded in the transaction that moved its orders to `batched`: both or neither.
        session.add(
            PaymentBatch(
                batch_id=batch_id, run_id=run.id, county_code=run.county_code, month=run.month, seq=seq,
                status="built", lines=len(claimed), total_fen=file.total_fen,
                file_sealed=self._vault.seal(file.render()), created_at=now,
            )
        )  # fmt: skip

    @activity.defn
    async def submit_batch(self, batch_id: str) -> BatchOutcome:
        """Send a file (again, byte for byte, after a crash). The bank answers a resend with the same
        receipt and credits nothing twice."""
        async with self._sessions() as session:
            batch = await session.get(PaymentBatch, batch_id)
            if batch is None:
                raise ApplicationError(
                    f"银行批次 {batch_id} 不存在", type="BatchNotFound", non_retryable=True
                )
            if batch.status in ("completed", "rejected"):
                return BatchOutcome(batch_id, batch.status, batch.paid, batch.failed, batch.paid_fen)
            file = DisbursementFile.parse(self._vault.open(batch.file_sealed))
        try:
            receipt = await self._bank.submit(file)
        except BankUnavailable as exc:
            raise ApplicationError(f"银行暂时无法受理：{exc}", type="BankUnavailable") from None
        except BankRejected as exc:
            return await self._reject_batch(batch_id, f"银行拒收整个文件：{exc}")
        async with self._sessions.begin() as session:
            await session.execute(
                update(PaymentBatch)
                .where(PaymentBatch.batch_id == batch_id, PaymentBatch.status == "built")
                .values(status="submitted", receipt=receipt)
            )
        return BatchOutcome(batch_id, "submitted")

    async def _reject_batch(self, batch_id: str, note: str) -> BatchOutcome:
        async with self._sessions.begin() as session:
            batch = await session.get(PaymentBatch, batch_id, with_for_update=True)
            assert batch is not None
            failed = await session.execute(
                update(PaymentOrder)
                .where(PaymentOrder.batch_id == batch_id, PaymentOrder.status == OrderStatus.BATCHED.value)
                .values(status=OrderStatus.FAILED.value, failure_reason="file_rejected")
            )
            batch.status, batch.note, batch.completed_at = "rejected", note, datetime.now(UTC)
            batch.failed = int(getattr(failed, "rowcount", 0) or 0)
            return BatchOutcome(batch_id, "rejected", 0, batch.failed, 0)

    # -- 3. reconciliation ---------------------------------------------------------------------
    @activity.defn
    async def reconcile_batch(self, batch_id: str) -> BatchOutcome:
        """Fetch the bank's result file and settle every order of the batch: credited → paid,
        refused → the finance queue. Settling twice changes nothing."""
        try:
            result = await self._bank.result(batch_id)
        except BankUnavailable as exc:
            raise ApplicationError(f"银行回盘暂不可取：{exc}", type="BankUnavailable") from None
        except BankBatchUnknown:
            # The bank lost (or never kept) the file: send the very same file again and ask later.
            await self.submit_batch(batch_id)
            raise ApplicationError("银行未查到该批次，已重新报送", type="BankProcessing") from None
        if result.state == "processing":
            raise ApplicationError("银行尚在处理该批次", type="BankProcessing")
        if result.state == "rejected":
            return await self._reject_batch(batch_id, result.rejected_reason or "银行拒收")
        return await self._settle(batch_id, result)

    async def _settle(self, batch_id: str, result: BatchResult) -> BatchOutcome:
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            batch = await session.get(PaymentBatch, batch_id, with_for_update=True)
            if batch is None:
                raise ApplicationError(
                    f"银行批次 {batch_id} 不存在", type="BatchNotFound", non_retryable=True
                )
            if batch.status == "completed":
                return BatchOutcome(batch_id, "completed", batch.paid, batch.failed, batch.paid_fen)
            pending = dict(
                (
                    await session.execute(
                        select(PaymentOrder.order_key, PaymentOrder.id).where(
                            PaymentOrder.batch_id == batch_id,
                            PaymentOrder.status == OrderStatus.BATCHED.value,
                        )
                    )
                ).all()
            )
            paid_rows: list[tuple[int, str | None]] = []
            failed_rows, unknown = [], []
            paid_fen = 0
            amounts = dict(
                (
                    await session.execute(
                        select(PaymentOrder.id, PaymentOrder.amount_fen).where(
                            PaymentOrder.batch_id == batch_id
                        )
                    )
                ).all()
            )
            for line in result.lines:
                order_id = pending.pop(line.reference, None)
                if order_id is None:
                    unknown.append(line.reference)
                elif line.status is LineStatus.PAID:
                    paid_rows.append((order_id, line.bank_serial))
                    paid_fen += amounts[order_id]
                else:
                    reason = line.reason.value if line.reason else "unknown"
                    failed_rows.append(
                        {"id": order_id, "status": OrderStatus.FAILED.value, "failure_reason": reason}
                    )
            if paid_rows:
                await _mark_paid(session, paid_rows, now)
                await _owe_back_late_credits(session, batch_id)
            if failed_rows:
                await session.execute(update(PaymentOrder), failed_rows)
            notes = []
            if pending:  # in our file, absent from the bank's answer: never resent blindly
                notes.append(f"回盘缺少{len(pending)}笔明细，已留待财务核对")
            if unknown:
                notes.append(f"回盘含{len(unknown)}笔不属于本批次的明细")
            batch.status, batch.completed_at, batch.note = "completed", now, "；".join(notes)
            batch.paid, batch.failed, batch.paid_fen = len(paid_rows), len(failed_rows), paid_fen
            if notes:
                log.warning("reconciliation of batch %s: %s", batch_id, batch.note)
            return BatchOutcome(batch_id, "completed", batch.paid, batch.failed, paid_fen)

    @activity.defn
    async def close_run(self, run_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(PayrollRun)
                .where(PayrollRun.id == run_id)
                .values(status="completed", completed_at=datetime.now(UTC))
            )

    # -- 4. public disclosure ------------------------------------------------------------------
    @activity.defn
    async def publish_disclosure(self, input: PublishDisclosureInput) -> int:
        """按月公开: publish the county's payments of the month, and, for the month and every earlier
        one, the payments settled since their last publication (补充公开: a retried order paid
        after the 5th). Each payment is published once; a rerun publishes nothing again. Returns
        how many of the month's payments are published, in all."""
        o, d = PaymentOrder, Disclosure
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            late = {
                m
                for m in await session.scalars(
                    select(o.month)
                    .where(
                        o.county_code == input.county_code,
                        o.month <= input.month,
                        o.status.in_(DISCLOSED),
                        o.disclosure_id.is_(None),
                    )
                    .distinct()
                )
                if m is not None
            }
            first = await session.scalar(
                select(d.id).where(d.county_code == input.county_code, d.month == input.month)
            )
            months = sorted(late | ({input.month} if first is None else set()))
            for month in months:
                await self._publish(session, input.county_code, month, now)
            published = await session.scalar(
                select(func.coalesce(func.sum(d.households), 0)).where(
                    d.county_code == input.county_code, d.month == input.month
                )
            )
            return int(published or 0)

    @staticmethod
    async def _publish(session: AsyncSession, county_code: str, month: str, now: datetime) -> None:
        o, d = PaymentOrder, Disclosure
        seq = await session.scalar(
            select(func.coalesce(func.max(d.seq) + 1, 0)).where(
                d.county_code == county_code, d.month == month
            )
        )
        row = Disclosure(
            county_code=county_code,
            month=month,
            seq=int(seq or 0),
            published_at=now,
            households=0,
            total_fen=0,
        )
        session.add(row)
        await session.flush()  # a concurrent publication of the same number fails here, and retries
        await session.execute(
            update(o)
            .where(
                o.county_code == county_code,
                o.month == month,
                o.status.in_(DISCLOSED),
                o.disclosure_id.is_(None),
            )
            .values(disclosure_id=row.id)
            .execution_options(synchronize_session=False)
        )
        count, total = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(o.amount_fen), 0)).where(
                    o.disclosure_id == row.id
                )
            )
        ).one()
        row.households, row.total_fen = int(count), int(total)
        if row.seq:
            log.info(
                "supplementary disclosure %s %s #%d: %d payments", county_code, month, row.seq, row.households
            )


async def _mark_paid(session: AsyncSession, paid: list[tuple[int, str | None]], now: datetime) -> None:
    """The file's credited orders → paid, with the bank's serial. On PostgreSQL one statement for
    the whole file (two arrays unnested), not one UPDATE per line: the statements' round trips and
    the ORM's per-row parameters were most of the worker's time on a province's payroll night."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "UPDATE payment_orders AS o SET status = :paid, bank_serial = v.serial, paid_at = :now"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:serials AS varchar[])) AS v(id, serial)"
                " WHERE o.id = v.id"
            ),
            {
                "paid": OrderStatus.PAID.value,
                "now": now,
                "ids": [i for i, _ in paid],
                "serials": [s for _, s in paid],
            },
        )
        return
    rows = [{"id": i, "status": OrderStatus.PAID.value, "bank_serial": s, "paid_at": now} for i, s in paid]
    await session.execute(update(PaymentOrder), rows)


async def _owe_back_late_credits(session: AsyncSession, batch_id: str) -> None:
    """A household stopped for fraud while its order was already at the bank: the stop could not
    cancel it, so what the bank credits now is added to the household's recovery (追回), in the
    transaction that records the payment (the stop itself counted only orders already paid)."""
    o, r = PaymentOrder, Recovery
    owed = (
        await session.execute(
            select(r, o.amount_fen)
            .join(o, o.application_number == r.application_number)
            .where(o.batch_id == batch_id, o.status == OrderStatus.PAID.value, o.month >= r.since_month)
        )
    ).all()
    for recovery, amount in owed:
        recovery.amount_due_fen += amount
        recovery.status = "open"
        log.warning(
            "order of %s credited after its fraud stop: added to its recovery", recovery.application_number
        )


DISCLOSED = (OrderStatus.PAID.value, OrderStatus.DELIVERED.value)
