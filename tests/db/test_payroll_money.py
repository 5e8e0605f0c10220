"""Money that must add up on PostgreSQL as on SQLite: a county month's sums beyond 32 bits, and
the monthly disclosure that also publishes, once, the payments settled after it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from activities.payroll import PayrollActivities
from domain.payroll import OrderStatus, PlanBatchesInput, PublishDisclosureInput
from infra.db import make_session_factory
from infra.migrate import downgrade, upgrade
from infra.models import Disclosure, PaymentBatch, PaymentOrder, PayrollRun
from simulators.bank import DEV_PAYER_ACCOUNT
from tests.factories import pii_vault
from tests.payroll.households import seed_households
from tests.payroll.in_process_bank import InProcessBank

pytestmark = pytest.mark.db

TEN_MILLION_YUAN = 1_000_000_000  # fen


def new_county() -> str:
    return f"9{uuid.uuid4().int % 10**5:05d}"


async def run_month(payroll: PayrollActivities, county: str, month: str) -> Any:
    frozen = await payroll.freeze_snapshot(county, month)
    for ref in await payroll.plan_batches(PlanBatchesInput(frozen.run_id, 100)):
        await payroll.submit_batch(ref.batch_id)
        await payroll.reconcile_batch(ref.batch_id)
    await payroll.close_run(frozen.run_id)
    return frozen


async def test_a_county_month_above_21_million_yuan_is_frozen_paid_and_disclosed(
    migrated: AsyncEngine,
) -> None:
    sessions = make_session_factory(migrated)
    county, vault = new_county(), pii_vault()
    await seed_households(sessions, vault, county, 3, amount_fen=TEN_MILLION_YUAN)
    payroll = PayrollActivities(sessions, InProcessBank(), vault, DEV_PAYER_ACCOUNT)

    frozen = await run_month(payroll, county, "2026-11")
    published = await payroll.publish_disclosure(PublishDisclosureInput(county, "2026-11"))

    total = 3 * TEN_MILLION_YUAN  # 30,000,000 元: beyond 2^31 - 1 fen
    assert total > 2**31 - 1 and frozen.households_total_fen == total and published == 3
    async with sessions() as session:
        run = await session.scalar(select(PayrollRun).where(PayrollRun.county_code == county))
        batch = await session.scalar(select(PaymentBatch).where(PaymentBatch.county_code == county))
        disclosure = await session.scalar(select(Disclosure).where(Disclosure.county_code == county))
    assert run is not None and batch is not None and disclosure is not None
    assert (run.total_fen, batch.total_fen, batch.paid_fen, disclosure.total_fen) == (total,) * 4


async def publications(sessions: async_sessionmaker[AsyncSession], county: str) -> list[tuple[str, int, int]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Disclosure.month, Disclosure.seq, Disclosure.households)
            .where(Disclosure.county_code == county)
            .order_by(Disclosure.month, Disclosure.seq)
        )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_a_payment_settled_after_the_monthly_disclosure_is_published_once_by_the_next(
    migrated: AsyncEngine,
) -> None:
    sessions = make_session_factory(migrated)
    county, vault = new_county(), pii_vault()
    numbers = await seed_households(sessions, vault, county, 3)
    bank = InProcessBank()
    payroll = PayrollActivities(sessions, bank, vault, DEV_PAYER_ACCOUNT)
    late = f"{numbers[2]}:2026-10"
    bank.state.mark_invalid([late])

    await run_month(payroll, county, "2026-10")
    assert await payroll.publish_disclosure(PublishDisclosureInput(county, "2026-10")) == 2
    # Finance corrects the refused line; November's run pays it, after October was published.
    bank.state.invalid_references.clear()
    async with sessions.begin() as session:
        await session.execute(
            update(PaymentOrder).where(PaymentOrder.order_key == late).values(status=OrderStatus.RETRY.value)
        )
    await run_month(payroll, county, "2026-11")
    assert len(bank.state.credits_of(late)) == 1

    # November's disclosure run publishes November, and October's late payment as a supplement.
    assert await payroll.publish_disclosure(PublishDisclosureInput(county, "2026-11")) == 3
    assert await payroll.publish_disclosure(PublishDisclosureInput(county, "2026-11")) == 3  # a rerun
    async with sessions() as session:
        october = await session.scalar(
            select(func.sum(Disclosure.households)).where(
                Disclosure.county_code == county, Disclosure.month == "2026-10"
            )
        )
    assert october == 3, "all three October payments published"
    assert await publications(sessions, county) == [("2026-10", 0, 2), ("2026-10", 1, 1), ("2026-11", 0, 3)]
    async with sessions() as session:
        unpublished = await session.scalar(
            select(PaymentOrder.order_key).where(
                PaymentOrder.county_code == county,
                PaymentOrder.status == OrderStatus.PAID.value,
                PaymentOrder.disclosure_id.is_(None),
            )
        )
    assert unpublished is None  # every payment published, each in one publication


async def test_the_migration_marks_payments_published_before_it_and_leaves_later_ones_to_publish(
    migrated: AsyncEngine, db_url: str
) -> None:
    # A database of the previous release: October published on 4 November; one line paid after.
    await asyncio.to_thread(downgrade, db_url, "0006")
    county, published_at = new_county(), datetime(2026, 11, 4, 0, tzinfo=UTC)
    async with migrated.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO disclosures (county_code, month, published_at, households, total_fen) "
                "VALUES (:c, '2026-10', :at, 1, 80000)"
            ),
            {"c": county, "at": published_at},
        )
        for key, paid_at in (
            ("early", published_at - timedelta(days=20)),
            ("late", published_at + timedelta(days=9)),
        ):
            await connection.execute(
                text(
                    "INSERT INTO payment_orders (order_key, application_number, kind, month, county_code, "
                    "amount_fen, form_of_aid, item_description, masked_name, masked_id_number, status, "
                    "attempts, paid_at, ordered_at) VALUES (:k, :k, 'monthly', '2026-10', :c, 80000, 'cash', '', "
                    "'', '', 'paid', 1, :paid, :paid)"
                ),
                {"k": f"{county}-{key}", "c": county, "paid": paid_at},
            )
    await asyncio.to_thread(upgrade, db_url)

    sessions = make_session_factory(migrated)
    async with sessions() as session:
        marked = dict(
            (await session.execute(
                select(PaymentOrder.order_key, PaymentOrder.disclosure_id).where(PaymentOrder.county_code == county)
            )).all()
        )  # fmt: skip
    assert marked[f"{county}-early"] is not None and marked[f"{county}-late"] is None
    payroll = PayrollActivities(sessions, InProcessBank(), pii_vault(), DEV_PAYER_ACCOUNT)
    assert await payroll.publish_disclosure(PublishDisclosureInput(county, "2026-11")) == 0
    assert await publications(sessions, county) == [("2026-10", 0, 1), ("2026-10", 1, 1), ("2026-11", 0, 0)]
