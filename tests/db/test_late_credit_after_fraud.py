"""A household stopped for fraud while its month's payment was already at the bank: the stop cannot
recall a file the bank holds, so when the bank's result credits that line, the money is added to the
household's recovery (追回) — once, in the transaction that records the payment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.beneficiaries import BeneficiaryActivities
from activities.payroll import PayrollActivities
from domain.bank import BatchResult, LineResult, LineStatus
from domain.beneficiary import StopForFraudInput
from domain.payroll import OrderStatus
from infra.db import make_session_factory
from infra.models import PaymentBatch, PaymentOrder, PayrollRun, Recovery
from tests.factories import pii_vault

pytestmark = pytest.mark.db

NUMBER, COUNTY = "440105-LATE0001", "440105"
NOW = datetime(2027, 3, 10, 2, tzinfo=UTC)


def order(month: str, status: OrderStatus, batch_id: str | None = None) -> PaymentOrder:
    return PaymentOrder(
        order_key=f"{NUMBER}:{month}", application_number=NUMBER, kind="monthly", month=month,
        county_code=COUNTY, township_code="440105001", assistance_type="dibao", amount_fen=80_000,
        form_of_aid="cash", status=status.value, batch_id=batch_id, ordered_at=NOW,
    )  # fmt: skip


async def test_a_credit_landing_after_the_stop_is_owed_back_once(migrated: AsyncEngine) -> None:
    sessions = make_session_factory(migrated)
    async with sessions.begin() as session:
        run = PayrollRun(county_code=COUNTY, month="2027-03", status="paying", frozen_at=NOW)
        session.add(run)
        await session.flush()
        session.add(PaymentBatch(
            batch_id="B-2027-03-1", run_id=run.id, county_code=COUNTY, month="2027-03", seq=1,
            status="submitted", lines=1, total_fen=80_000, file_sealed="", created_at=NOW,
        ))  # fmt: skip
        session.add_all([
            order("2027-01", OrderStatus.PAID), order("2027-02", OrderStatus.PAID),
            order("2027-03", OrderStatus.BATCHED, "B-2027-03-1"),
        ])  # fmt: skip

    # Stopped from February on: February (paid) is owed at once; March is at the bank.
    stop = StopForFraudInput(NUMBER, COUNTY, "2027-02", "隐瞒经营收入", "approver_haizhu", NOW)
    result = await BeneficiaryActivities(sessions, pii_vault()).stop_for_fraud(stop)
    assert result.amount_due_fen == 80_000

    payroll = PayrollActivities(sessions, bank=None, vault=pii_vault(), payer_account="")  # type: ignore[arg-type]
    credited = BatchResult(
        "B-2027-03-1", "completed",
        (LineResult(f"{NUMBER}:2027-03", LineStatus.PAID, None, "SN-1"),), None, 80_000,
    )  # fmt: skip
    await payroll._settle("B-2027-03-1", credited)
    await payroll._settle("B-2027-03-1", credited)  # a retried activity: the batch is settled once

    async with sessions() as session:
        recovery = await session.scalar(select(Recovery).where(Recovery.application_number == NUMBER))
        march = await session.scalar(
            select(PaymentOrder).where(PaymentOrder.order_key == f"{NUMBER}:2027-03")
        )
    assert march is not None and march.status == OrderStatus.PAID.value
    assert recovery is not None
    assert (recovery.amount_due_fen, recovery.status) == (160_000, "open")
