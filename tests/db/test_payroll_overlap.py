"""Two payroll runs of one county at the same moment (November's and December's, with a retried
October line open to both): every order goes into one bank file and is credited once.

The race is made certain rather than hoped for: both runs read the orders before either writes
(a barrier before each run's first write to the orders), which is what two workers do when they
start together. On PostgreSQL (CI's second pass) and SQLite alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from activities.payroll import PayrollActivities
from domain.bank import DisbursementFile
from domain.payroll import OrderStatus, PlanBatchesInput
from infra.db import make_session_factory
from infra.models import PaymentBatch, PaymentOrder
from simulators.bank import DEV_PAYER_ACCOUNT
from tests.factories import pii_vault
from tests.payroll.households import seed_households
from tests.payroll.in_process_bank import InProcessBank

pytestmark = pytest.mark.db


def barrier_sessions(engine: AsyncEngine, barrier: asyncio.Barrier) -> async_sessionmaker[AsyncSession]:
    """Sessions whose first UPDATE of the payment orders waits until every run has read."""

    class ReadThenRace(AsyncSession):
        _waited = False

        async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
            if (
                not self._waited
                and isinstance(statement, Update)
                and statement.table.name == PaymentOrder.__tablename__  # type: ignore[union-attr]
            ):
                self._waited = True
                await barrier.wait()
            return await super().execute(statement, *args, **kwargs)

    return async_sessionmaker(engine, class_=ReadThenRace, expire_on_commit=False)


@pytest_asyncio.fixture
async def sessions(migrated: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield make_session_factory(migrated)


async def pay(payroll: PayrollActivities, refs: list[Any]) -> None:
    for ref in refs:
        await payroll.submit_batch(ref.batch_id)
        await payroll.reconcile_batch(ref.batch_id)


async def files(
    sessions: async_sessionmaker[AsyncSession], county: str, *months: str
) -> dict[str, list[str]]:
    """The bank files of the county's runs of `months`: batch id → the order references in it."""
    vault = pii_vault()
    async with sessions() as session:
        batches = (
            await session.scalars(
                select(PaymentBatch).where(PaymentBatch.county_code == county, PaymentBatch.month.in_(months))
            )
        ).all()
    return {
        b.batch_id: [line.reference for line in DisbursementFile.parse(vault.open(b.file_sealed)).lines]
        for b in batches
    }


async def test_november_and_december_at_once_put_each_order_in_one_file_and_credit_it_once(
    migrated: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    county = f"9{uuid.uuid4().int % 10**5:05d}"
    vault = pii_vault()
    numbers = await seed_households(sessions, vault, county, 6, start_month="2026-01")
    bank = InProcessBank()
    payroll = PayrollActivities(sessions, bank, vault, DEV_PAYER_ACCOUNT)

    # October was paid; finance corrected one failed October line (retry): open to either run.
    october = await payroll.freeze_snapshot(county, "2026-10")
    await payroll.plan_batches(PlanBatchesInput(october.run_id, 100))
    async with sessions.begin() as session:
        await session.execute(
            update(PaymentOrder)
            .where(PaymentOrder.county_code == county, PaymentOrder.month == "2026-10")
            .values(status=OrderStatus.FAILED.value, batch_id=None)
        )
        await session.execute(
            update(PaymentOrder)
            .where(PaymentOrder.order_key == f"{numbers[0]}:2026-10")
            .values(status=OrderStatus.RETRY.value)
        )
    november = await payroll.freeze_snapshot(county, "2026-11")
    december = await payroll.freeze_snapshot(county, "2026-12")

    planner = PayrollActivities(
        barrier_sessions(migrated, asyncio.Barrier(2)), bank, vault, DEV_PAYER_ACCOUNT
    )
    planned = await asyncio.wait_for(
        asyncio.gather(
            planner.plan_batches(PlanBatchesInput(november.run_id, 4)),
            planner.plan_batches(PlanBatchesInput(december.run_id, 4)),
        ),
        60,
    )
    await asyncio.gather(*(pay(payroll, refs) for refs in planned))

    in_files = [
        ref for refs in (await files(sessions, county, "2026-11", "2026-12")).values() for ref in refs
    ]
    paid_for = [f"{n}:{m}" for n in numbers for m in ("2026-11", "2026-12")] + [f"{numbers[0]}:2026-10"]
    assert sorted(in_files) == sorted(paid_for), "every order in exactly one bank file"
    assert {ref: len(bank.state.credits_of(ref)) for ref in paid_for} == dict.fromkeys(paid_for, 1)
    async with sessions() as session:
        statuses = dict(
            (await session.execute(
                select(PaymentOrder.order_key, PaymentOrder.status).where(PaymentOrder.order_key.in_(paid_for))
            )).all()
        )  # fmt: skip
    assert set(statuses.values()) == {OrderStatus.PAID.value}
    # Each run's files hold its own month (and the retried October line), never the other month.
    async with sessions() as session:
        months = dict(
            (await session.execute(
                select(PaymentOrder.order_key, PaymentBatch.month)
                .join(PaymentBatch, PaymentBatch.batch_id == PaymentOrder.batch_id)
                .where(PaymentOrder.county_code == county, PaymentOrder.month != "2026-10")
            )).all()
        )  # fmt: skip
    assert all(key.endswith(month) for key, month in months.items())


async def test_a_run_pays_its_own_month_retried_orders_and_late_one_offs_but_no_other_months_orders(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    county = f"9{uuid.uuid4().int % 10**5:05d}"
    vault = pii_vault()
    numbers = await seed_households(sessions, vault, county, 2, start_month="2026-01")
    payroll = PayrollActivities(sessions, InProcessBank(), vault, DEV_PAYER_ACCOUNT)
    october = await payroll.freeze_snapshot(county, "2026-10")  # frozen, its files never cut (a crash)
    async with sessions.begin() as session:
        # A 临时救助 approved in late October, after October's payroll day.
        session.add(
            PaymentOrder(
                order_key=f"{numbers[0]}:one_off", application_number=numbers[0], kind="one_off",
                month="2026-10", county_code=county, township_code=f"{county}001", assistance_type="temporary",
                amount_fen=300_000, form_of_aid="cash", status=OrderStatus.ORDERED.value,
                ordered_at=datetime.now(UTC),
            )
        )  # fmt: skip
    november = await payroll.freeze_snapshot(county, "2026-11")
    await payroll.plan_batches(PlanBatchesInput(november.run_id, 100))

    in_files = sorted(r for refs in (await files(sessions, county, "2026-11")).values() for r in refs)
    assert in_files == sorted([f"{n}:2026-11" for n in numbers] + [f"{numbers[0]}:one_off"])
    # October's monthly orders wait for October's rerun, which pays them.
    await payroll.plan_batches(PlanBatchesInput(october.run_id, 100))
    assert sorted(r for refs in (await files(sessions, county, "2026-10")).values() for r in refs) == sorted(
        f"{n}:2026-10" for n in numbers
    )
