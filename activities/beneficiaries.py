"""Side effects of the beneficiary lifecycle: the beneficiaries row (what the payroll pays), its
timeline, exit notices, fraud stops with their recovery (追回), and the credit file (信用档案).
Every write is idempotent (a unique key or an absolute update), because activities may run twice."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_records import insert_once
from domain.beneficiary import (
    BeneficiaryEventInput,
    BeneficiaryStatus,
    CreditRecordInput,
    EnrolInput,
    EnrolResult,
    ExitNoticeInput,
    StopForFraudInput,
    StopForFraudResult,
    UpdateBeneficiaryInput,
)
from domain.masking import mask_id_number, mask_name
from domain.payroll import OrderStatus
from infra.models import (
    Application,
    Beneficiary,
    BeneficiaryEvent,
    CreditRecord,
    ExitNoticeRow,
    PaymentOrder,
    Recovery,
)
from infra.pii import PiiVault

_ENDED = (BeneficiaryStatus.EXITED.value, BeneficiaryStatus.STOPPED.value)


class BeneficiaryActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], vault: PiiVault) -> None:
        self._sessions = sessions
        self._vault = vault

    async def _insert_once(self, row: object) -> bool:
        return await insert_once(self._sessions, row)

    @activity.defn
    async def enrol(self, input: EnrolInput) -> EnrolResult:
        """纳入: the approved household becomes payable from its start month. The masked name and ID
        number are kept for the public disclosure; the full ones stay sealed with the application."""
        async with self._sessions.begin() as session:
            app = await session.scalar(
                select(Application).where(Application.application_number == input.application_number)
            )
            if app is None:
                raise ApplicationError(
                    f"申请 {input.application_number} 不存在", type="ApplicationNotFound", non_retryable=True
                )
            masked_id = mask_id_number(self._vault.open(app.applicant_id_number_sealed))
            row = await session.scalar(
                select(Beneficiary).where(Beneficiary.application_number == input.application_number)
            )
            if row is None:
                row = Beneficiary(application_number=input.application_number)
                session.add(row)
            row.assistance_type = input.assistance_type.value
            row.county_code, row.township_code = input.county_code, input.township_code
            row.community_code = input.community_code
            row.category, row.monthly_amount_fen = input.category, input.monthly_amount_fen
            row.start_month = input.start_month
            row.household_size = app.household_size  # the roster's persons (statistics)
            row.status = BeneficiaryStatus.ACTIVE.value
            row.masked_name, row.masked_id_number = mask_name(app.applicant_name), masked_id
            # Re-entry (重新纳入): an earlier enrolment of the same applicant that has ended.
            previous = await session.scalar(
                select(Beneficiary.application_number)
                .join(Application, Application.application_number == Beneficiary.application_number)
                .where(
                    Application.applicant_id_number_digest == app.applicant_id_number_digest,
                    Beneficiary.application_number != input.application_number,
                    Beneficiary.status.in_(_ENDED),
                )
                .order_by(Beneficiary.id.desc())
                .limit(1)
            )
            return EnrolResult(row.masked_name, previous)

    @activity.defn
    async def update_beneficiary(self, input: UpdateBeneficiaryInput) -> None:
        values: dict[str, object] = {}
        for name, column in (
            ("status", "status"), ("category", "category"), ("amount_fen", "monthly_amount_fen"),
            ("next_review_month", "next_review_month"), ("phase_out_until", "phase_out_until"),
            ("exit_month", "exit_month"), ("integrity_mark", "integrity_mark"),
        ):  # fmt: skip
            value = getattr(input, name)
            if value is not None:
                values[column] = value.value if isinstance(value, BeneficiaryStatus) else value
        if not values:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(Beneficiary)
                .where(Beneficiary.application_number == input.application_number)
                .values(**values)
            )

    @activity.defn
    async def record_beneficiary_event(self, input: BeneficiaryEventInput) -> None:
        actor = input.actor
        await self._insert_once(
            BeneficiaryEvent(
                application_number=input.application_number, seq=input.seq, at=input.at.astimezone(UTC),
                kind=input.kind, summary=input.summary, actor_username=actor.username if actor else None,
                actor_role=actor.role.value if actor else None, data=dict(input.data),
            )
        )  # fmt: skip

    @activity.defn
    async def issue_exit_notice(self, input: ExitNoticeInput) -> None:
        await self._insert_once(
            ExitNoticeRow(
                key=input.key, application_number=input.application_number, county_code=input.county_code,
                issued_at=input.issued_at.astimezone(UTC), effective_month=input.effective_month,
                reasons=input.reasons, policy_basis=input.policy_basis, referral=input.referral,
            )
        )  # fmt: skip

    @activity.defn
    async def stop_for_fraud(self, input: StopForFraudInput) -> StopForFraudResult:
        """停发并追回: no further payment (unpaid orders cancelled), and a recovery plan for what was
        paid from the month the household stopped qualifying. An order already at the bank cannot
        be recalled: if the bank credits it, reconciliation adds it to this recovery."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Beneficiary)
                .where(Beneficiary.application_number == input.application_number)
                .values(status=BeneficiaryStatus.STOPPED.value)
            )
            # Lock the household's orders first: a reconciliation settling one of them either
            # commits before (and its payment is in the sum below) or waits and then finds the
            # recovery written here (and adds its payment to it). Never neither.
            await session.execute(
                select(PaymentOrder.id)
                .where(PaymentOrder.application_number == input.application_number)
                .with_for_update()
            )
            cancelled = await session.execute(
                update(PaymentOrder)
                .where(
                    PaymentOrder.application_number == input.application_number,
                    PaymentOrder.status.in_(
                        (OrderStatus.ORDERED.value, OrderStatus.RETRY.value, OrderStatus.FAILED.value)
                    ),
                )
                .values(status=OrderStatus.CANCELLED.value)
            )
            paid = await session.scalar(
                select(func.coalesce(func.sum(PaymentOrder.amount_fen), 0)).where(
                    PaymentOrder.application_number == input.application_number,
                    PaymentOrder.status == OrderStatus.PAID.value,
                    PaymentOrder.month >= input.since_month,
                )
            )
            existing = await session.scalar(
                select(Recovery).where(Recovery.application_number == input.application_number)
            )
            if existing is None:
                existing = Recovery(
                    application_number=input.application_number, county_code=input.county_code,
                    since_month=input.since_month, amount_due_fen=int(paid or 0), amount_recovered_fen=0,
                    status="open" if paid else "settled", findings=input.findings, decided_by=input.decided_by,
                    created_at=input.at.astimezone(UTC),
                )  # fmt: skip
                session.add(existing)
            return StopForFraudResult(existing.amount_due_fen, int(getattr(cancelled, "rowcount", 0) or 0))

    @activity.defn
    async def record_credit(self, input: CreditRecordInput) -> None:
        await self._insert_once(
            CreditRecord(
                key=input.key, application_number=input.application_number, county_code=input.county_code,
                kind=input.kind, summary=input.summary, at=input.at.astimezone(UTC),
            )
        )  # fmt: skip
