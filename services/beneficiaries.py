"""Enrolled households: listing and viewing them (row + the lifecycle workflow's view + timeline),
reporting a change or fraud (updates of BeneficiaryWorkflow), the payee account, recovery and the
credit file. Everything is scoped by the caller's jurisdiction; outside it a household is "not found".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from api.schemas.beneficiaries import (
    AccountIn,
    AccountOut,
    BeneficiaryDetail,
    BeneficiaryOut,
    BeneficiaryPage,
    CreditRecordOut,
    EventOut,
    RecoveryOut,
    RecoveryPaymentIn,
    RecoveryPaymentOut,
)
from domain.beneficiary import (
    STATUS_LABELS,
    BeneficiaryStatus,
    ChangeReport,
    FraudFinding,
    LifecycleView,
    ReportChangeInput,
    ReportFraudInput,
    current_month,
    lifecycle_workflow_id,
)
from domain.calendar import CHINA_TZ
from domain.staff import Actor, Role, covers
from infra.models import Beneficiary, BeneficiaryEvent, CreditRecord, PayeeAccount, Recovery, RecoveryPayment
from infra.pii import PiiVault
from services.accounts import account_out, store_account
from services.errors import ApiError
from services.idempotency import update_id
from services.workflow_gateway import WorkflowGateway

log = logging.getLogger(__name__)
_QUERY_TIMEOUT = timedelta(seconds=10)
_UPDATE_TIMEOUT = timedelta(seconds=60)
_RECOVERY_LABELS = {"open": "追回中", "settled": "已追回"}
_CREDIT_LABELS = {"fraud": "骗取救助", "integrity": "诚信救助对象"}

# Who may do what to an enrolled household: the JSON API's route guards and the pages' forms read
# these same tuples, so a page never offers what the API would refuse (nor the other way round).
CHANGE_REPORTERS = (Role.INVESTIGATOR, Role.TOWNSHIP_REVIEWER, Role.INTAKE_CLERK)
FRAUD_DECIDERS = (Role.COUNTY_APPROVER,)
ACCOUNT_KEEPERS = (Role.FINANCE_OFFICER, Role.TOWNSHIP_REVIEWER)
RECOVERY_READERS = (Role.FINANCE_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR)
RECOVERY_RECORDERS = (Role.FINANCE_OFFICER,)
CREDIT_READERS = (Role.SUPERVISOR, Role.COUNTY_APPROVER)


@dataclass(frozen=True)
class HouseholdActions:
    """What the caller's role may do on a household's page (the service still checks each act)."""

    report_change: bool
    report_fraud: bool
    change_account: bool
    read_recovery: bool

    @classmethod
    def of(cls, actor: Actor) -> HouseholdActions:
        role = actor.role
        return cls(
            role in CHANGE_REPORTERS,
            role in FRAUD_DECIDERS,
            role in ACCOUNT_KEEPERS,
            role in RECOVERY_READERS,
        )


def review_due(next_review_month: str | None, now: datetime) -> bool:
    """The household's re-review (复核) is due: its month has come (or passed)."""
    return next_review_month is not None and next_review_month <= current_month(now)


@dataclass(frozen=True)
class BeneficiaryFilter:
    status: str | None = None
    region_code: str | None = None  # county or township (prefix)
    payable_month: str | None = None  # paid in that month: started, not yet exited
    limit: int = 50
    offset: int = 0
    category: str | None = None  # A / B / C (re-review class)
    assistance_type: str | None = None
    review_due_by: str | None = None  # re-review (复核) due in or before that month


class BeneficiaryService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client, vault: PiiVault) -> None:
        self._sessions = sessions
        self._client = client
        self._vault = vault

    async def search(self, actor: Actor, f: BeneficiaryFilter) -> BeneficiaryPage:
        b = Beneficiary
        conditions: list[ColumnElement[bool]] = [
            b.community_code.startswith(actor.region_code, autoescape=True)
        ]
        if f.region_code:
            conditions.append(b.community_code.startswith(f.region_code, autoescape=True))
        if f.status:
            conditions.append(b.status == f.status)
        if f.category:
            conditions.append(b.category == f.category)
        if f.assistance_type:
            conditions.append(b.assistance_type == f.assistance_type)
        if f.review_due_by:
            conditions.append(b.next_review_month <= f.review_due_by)
        if f.payable_month:
            conditions += [
                b.start_month <= f.payable_month,
                or_(b.exit_month.is_(None), b.exit_month > f.payable_month),
                b.status.in_(("active", "phase_out", "exiting")),
            ]
        query = select(b).where(*conditions)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(query.order_by(b.application_number).limit(f.limit).offset(f.offset))
            items = [BeneficiaryOut.from_row(r) for r in rows]
        return BeneficiaryPage(items=items, total=int(total or 0), limit=f.limit, offset=f.offset)

    async def load(self, number: str, actor: Actor) -> Beneficiary:
        async with self._sessions() as session:
            row = await session.scalar(select(Beneficiary).where(Beneficiary.application_number == number))
        if row is None or not covers(actor.region_code, row.community_code):
            raise ApiError(404, "beneficiary_not_found", f"未找到救助对象 {number}")
        return row

    async def view(self, number: str, actor: Actor) -> BeneficiaryDetail:
        row = await self.load(number, actor)
        live = await self._query_view(number)
        async with self._sessions() as session:
            events = list(
                await session.scalars(
                    select(BeneficiaryEvent)
                    .where(BeneficiaryEvent.application_number == number)
                    .order_by(BeneficiaryEvent.seq)
                )
            )
            account = await session.get(PayeeAccount, number)
        return BeneficiaryDetail(
            beneficiary=BeneficiaryOut.from_row(row), live=live is not None, lifecycle=live,
            account=account_out(account) if account else None,
            events=[EventOut.model_validate(e, from_attributes=True) for e in events],
        )  # fmt: skip

    async def _query_view(self, number: str) -> LifecycleView | None:
        handle = self._client.get_workflow_handle(lifecycle_workflow_id(number))
        try:
            view: LifecycleView = await handle.query(
                "view", result_type=LifecycleView, rpc_timeout=_QUERY_TIMEOUT
            )
            return view
        except (RPCError, RuntimeError, WorkflowQueryFailedError) as exc:
            log.warning("view query for %s failed: %s", handle.id, exc)
            return None

    async def _not_ended(self, number: str, actor: Actor, *, fraud: bool = False) -> None:
        """A stopped or exited household's workflow has closed: without this check Temporal's
        "not found" would answer with the application's wording (案件流程不在运行中). The codes
        are those of the workflow's own validator, which still decides a race."""
        status = BeneficiaryStatus((await self.load(number, actor)).status)
        if fraud and status is BeneficiaryStatus.STOPPED:
            raise ApiError(409, "already_stopped", "该救助对象已被停发，不能重复认定")
        if status in (BeneficiaryStatus.STOPPED, BeneficiaryStatus.EXITED):
            raise ApiError(409, "beneficiary_ended", f"该救助对象{STATUS_LABELS[status]}，不能再办理")

    async def report_change(
        self, number: str, actor: Actor, report: ChangeReport, key: str | None = None
    ) -> LifecycleView:
        await self._not_ended(number, actor)
        handle = self._client.get_workflow_handle(lifecycle_workflow_id(number))
        uid = update_id(key, "report_change", number, actor, report.model_dump(mode="json"))
        result: LifecycleView = await WorkflowGateway._guard(
            handle.execute_update(
                "report_change", ReportChangeInput(report, actor), id=uid, result_type=LifecycleView,
                rpc_timeout=_UPDATE_TIMEOUT,
            )
        )  # fmt: skip
        return result

    async def report_fraud(
        self, number: str, actor: Actor, finding: FraudFinding, key: str | None = None
    ) -> LifecycleView:
        await self._not_ended(number, actor, fraud=True)
        handle = self._client.get_workflow_handle(lifecycle_workflow_id(number))
        uid = update_id(key, "report_fraud", number, actor, finding.model_dump(mode="json"))
        result: LifecycleView = await WorkflowGateway._guard(
            handle.execute_update(
                "report_fraud", ReportFraudInput(finding, actor), id=uid, result_type=LifecycleView,
                rpc_timeout=_UPDATE_TIMEOUT,
            )
        )  # fmt: skip
        return result

    async def put_account(self, number: str, actor: Actor, body: AccountIn) -> AccountOut:
        await self.load(number, actor)
        return await store_account(self._sessions, self._vault, number, actor, body)

    async def recovery(self, number: str, actor: Actor) -> RecoveryOut:
        await self.load(number, actor)
        async with self._sessions() as session:
            return await _recovery_out(session, number)

    async def record_repayment(self, number: str, actor: Actor, body: RecoveryPaymentIn) -> RecoveryOut:
        await self.load(number, actor)
        if body.received_on > datetime.now(CHINA_TZ).date():
            raise ApiError(422, "received_in_future", "到账日期不能晚于今天，请按收款凭证填写")
        async with self._sessions.begin() as session:
            rec = await session.scalar(
                select(Recovery).where(Recovery.application_number == number).with_for_update()
            )
            if rec is None:
                raise ApiError(404, "recovery_not_found", "该救助对象没有待追回的款项")
            seen = await session.scalar(
                select(RecoveryPayment).where(RecoveryPayment.reference == body.reference)
            )
            if seen is not None:
                if seen.recovery_id != rec.id or seen.amount_fen != body.amount_fen:
                    raise ApiError(409, "reference_used", f"收款凭证号 {body.reference} 已登记过其他款项")
                return await _recovery_out(session, number)  # the same receipt again: recorded once
            if rec.status == "settled":
                raise ApiError(409, "recovery_settled", "该笔追回款已全部追回")
            outstanding = rec.amount_due_fen - rec.amount_recovered_fen
            if body.amount_fen > outstanding:
                raise ApiError(
                    422,
                    "amount_exceeds_outstanding",
                    f"本次金额超过尚未追回的余额（{outstanding / 100:.2f}元）",
                )
            session.add(
                RecoveryPayment(
                    recovery_id=rec.id, reference=body.reference, amount_fen=body.amount_fen,
                    received_on=body.received_on, recorded_by=actor.username, recorded_at=datetime.now(UTC),
                )
            )  # fmt: skip
            rec.amount_recovered_fen += body.amount_fen
            if rec.amount_recovered_fen >= rec.amount_due_fen:
                rec.status = "settled"
            await session.flush()
            return await _recovery_out(session, number)

    async def credit_records(
        self, actor: Actor, kind: str | None, limit: int, offset: int
    ) -> list[CreditRecordOut]:
        c, b = CreditRecord, Beneficiary
        conditions: list[ColumnElement[bool]] = [
            func.coalesce(b.community_code, c.county_code).startswith(actor.region_code, autoescape=True)
        ]
        if kind:
            conditions.append(c.kind == kind)
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(c, b.township_code)
                    .outerjoin(b, b.application_number == c.application_number)
                    .where(*conditions)
                    .order_by(c.at.desc(), c.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
        return [
            CreditRecordOut(
                application_number=r.application_number,
                county_code=r.county_code,
                township_code=township,
                kind=r.kind,
                kind_label=_CREDIT_LABELS.get(r.kind, r.kind),
                summary=r.summary,
                at=r.at,
            )
            for r, township in rows
        ]


async def _recovery_out(session: AsyncSession, number: str) -> RecoveryOut:
    rec = await session.scalar(select(Recovery).where(Recovery.application_number == number))
    if rec is None:
        raise ApiError(404, "recovery_not_found", "该救助对象没有待追回的款项")
    payments = list(
        await session.scalars(
            select(RecoveryPayment).where(RecoveryPayment.recovery_id == rec.id).order_by(RecoveryPayment.id)
        )
    )
    return RecoveryOut(
        application_number=number, since_month=rec.since_month, amount_due_fen=rec.amount_due_fen,
        amount_recovered_fen=rec.amount_recovered_fen, outstanding_fen=rec.amount_due_fen - rec.amount_recovered_fen,
        status=rec.status, status_label=_RECOVERY_LABELS.get(rec.status, rec.status), findings=rec.findings,
        decided_by=rec.decided_by, created_at=rec.created_at,
        payments=[RecoveryPaymentOut.model_validate(p, from_attributes=True) for p in payments],
    )  # fmt: skip
