"""Writes of the application workflow. Every write is idempotent under activity retries: by
primary key and revision (tasks), by (case, seq) (timeline), or by a business key (notices, money)."""

from __future__ import annotations

import logging
import math
import random
from datetime import UTC
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from domain.application import StatusProjection
from domain.masking import mask_id_number, mask_name
from domain.records import (
    BreachInput,
    CaseEventInput,
    HandOverInput,
    NotifyInput,
    PaymentOrderInput,
    PaymentOrderResult,
    RecordStageInput,
    SaveTaskInput,
    SpotCheckInput,
    SpotCheckResult,
    TaskWithEventInput,
)
from infra.case_limits import apply_limit_change, limit_change
from infra.case_projection import write_projection
from infra.models import (
    Application,
    Beneficiary,
    CaseEvent,
    DeadlineBreach,
    Notification,
    PaymentOrder,
    SpotCheck,
    Task,
)
from infra.pii import PiiVault

log = logging.getLogger(__name__)


async def insert_once(sessions: async_sessionmaker[AsyncSession], row: object) -> bool:
    """Insert; False when the unique key says it was written before (a retry)."""
    try:
        async with sessions.begin() as session:
            session.add(row)
        return True
    except IntegrityError:
        return False


class CaseRecordActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], rng: random.Random | None = None,
        vault: PiiVault | None = None,
    ) -> None:  # fmt: skip
        self._sessions = sessions
        self._rng = rng or random.SystemRandom()
        self._vault = vault

    async def _insert_once(self, row: object) -> bool:
        return await insert_once(self._sessions, row)

    @activity.defn
    async def record_stage(self, input: RecordStageInput) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(Application)
                .where(Application.application_number == input.application_number)
                .values(stage=input.stage)
            )

    async def _project(self, application_number: str, projection: StatusProjection | None) -> None:
        """The case's changed status, after the record that carried it (its own transaction: the
        record's writes are idempotent on their own, and so is this one, by the projection's seq)."""
        if projection is not None:
            async with self._sessions.begin() as session:
                await write_projection(session, application_number, projection, activity.info().started_time)

    @activity.defn
    async def save_task(self, input: SaveTaskInput) -> None:
        await self._save_task(input)
        await self._project(input.application_number, input.projection)

    async def _save_task(self, input: SaveTaskInput) -> None:
        """Write the task's row unless a newer state of it is already there: an attempt that lands
        late (a claim retried after its release was written) must not bring back an old state."""
        t = input.task
        values: dict[str, Any] = {
            "application_number": input.application_number, "workflow_id": input.workflow_id,
            "county_code": input.county_code, "task_type": t.task_type.value, "stage": t.stage,
            "candidate_role": t.candidate_role.value, "region_code": t.region_code, "assignee": t.assignee,
            "status": t.status.value, "due_at": t.due_at, "follow_up_at": t.follow_up_at,
            "created_at": t.created_at or activity.info().started_time, "completed_at": t.completed_at,
            "completed_by": t.completed_by, "outcome": t.outcome, "form": t.form, "note": t.note,
            "revision": t.revision,
        }  # fmt: skip
        # Revision 0 comes from a workflow task saved before revisions existed: written as before.
        newer = Task.revision < t.revision if t.revision else true()
        for _ in range(2):
            async with self._sessions.begin() as session:
                written = await session.execute(
                    update(Task).where(Task.task_id == t.task_id, newer).values(**values)
                )
                if cast(CursorResult[Any], written).rowcount:
                    return
                stored = await session.scalar(select(Task.revision).where(Task.task_id == t.task_id))
                if stored is not None and stored >= t.revision:
                    log.info(
                        "task %s: revision %d is older than the stored one, not written",
                        t.task_id,
                        t.revision,
                    )
                    return
            # No row, or (PostgreSQL, READ COMMITTED) one committed by a concurrent first write after
            # the update's snapshot and older than this state: insert, or update once more.
            if stored is None and await self._insert_once(Task(task_id=t.task_id, **values)):
                return
        raise RuntimeError(f"task {t.task_id} could not be written")  # retried by the activity

    @activity.defn
    async def save_task_with_event(self, input: TaskWithEventInput) -> None:
        """A task's row and its timeline entry: one round trip for a staff action instead of two
        (a claim waited for both in turn). Each write is idempotent on its own — the row by its
        revision, the entry by its (case, seq) key — so a retry after either is safe."""
        await self.save_task(input.task)
        await self.record_event(input.event)

    @activity.defn
    async def record_event(self, input: CaseEventInput) -> None:
        """The timeline entry, with what it changes — a stage entry the case row's stage, a limit's
        entry the case's limit (statistics), and the case's projected status when it carries one —
        in one transaction: a retry finds the entry written and changes nothing twice, and a crash
        cannot keep one without the others."""
        actor = input.actor
        event = CaseEvent(
            application_number=input.application_number,
            seq=input.seq,
            at=input.at,
            kind=input.kind,
            stage=input.stage,
            actor_username=actor.username if actor else None,
            actor_role=actor.role.value if actor else None,
            actor_name=actor.display_name if actor else None,
            summary=input.summary,
            data=input.data,
        )
        change = None if input.kind == "stage" else limit_change(input.kind, input.data)
        number, seq, at = input.application_number, input.seq, input.at
        try:
            async with self._sessions.begin() as session:
                if input.kind == "stage":
                    await _record_stage(session, event)
                else:
                    session.add(event)
                    await session.flush()
                if change is not None:
                    connection = await session.connection()
                    await connection.run_sync(lambda c: apply_limit_change(c, number, seq, at, change))
                if input.projection is not None:
                    await write_projection(session, number, input.projection, at)
        except IntegrityError:
            return

    @activity.defn
    async def notify(self, input: NotifyInput) -> None:
        # The in-system inbox is the channel; SMS/钉钉 gateways would hang off this same record.
        await self._insert_once(
            Notification(
                key=input.key,
                application_number=input.application_number,
                kind=input.kind,
                recipient_role=input.recipient_role.value,
                region_code=input.region_code,
                message=input.message,
            )
        )

    @activity.defn
    async def record_breach(self, input: BreachInput) -> None:
        await self._insert_once(
            DeadlineBreach(
                application_number=input.application_number,
                limit_name=input.limit_name,
                deadline=input.deadline,
                breached_at=input.breached_at,
                stage=input.stage,
                county_code=input.county_code,
                township_code=input.township_code,
                green_channel=input.green_channel,
            )
        )

    @activity.defn
    async def hand_over(self, input: HandOverInput) -> None:
        async with self._sessions() as session:
            size = await session.scalar(
                select(Application.household_size).where(
                    Application.application_number == input.application_number
                )
            )
        await self._insert_once(
            Beneficiary(
                household_size=size,
                application_number=input.application_number,
                assistance_type=input.assistance_type.value,
                county_code=input.county_code,
                township_code=input.township_code,
                community_code=input.community_code,
                category=input.category,
                monthly_amount_fen=input.monthly_amount_fen,
                start_month=input.start_month,
                status="pending_enrolment",
            )
        )

    @activity.defn
    async def create_payment_order(self, input: PaymentOrderInput) -> PaymentOrderResult:
        created = await self._insert_once(
            PaymentOrder(
                order_key=input.order_key,
                application_number=input.application_number,
                kind=input.kind,
                amount_fen=input.amount_fen,
                form_of_aid=input.form_of_aid,
                status="ordered",
                ordered_at=input.ordered_at,
                month=input.month,
                county_code=input.county_code,
                township_code=input.township_code,
                assistance_type=input.assistance_type,
                item_description=input.item_description,
                **await self._masked_identity(input.application_number),
            )
        )
        return PaymentOrderResult(input.order_key, created)

    async def _masked_identity(self, application_number: str) -> dict[str, str]:
        """What a public disclosure of this payment may show: 张*明, 4401**********1234."""
        async with self._sessions() as session:
            app = await session.scalar(
                select(Application).where(Application.application_number == application_number)
            )
        if app is None or self._vault is None:
            return {}
        return {
            "masked_name": mask_name(app.applicant_name),
            "masked_id_number": mask_id_number(self._vault.open(app.applicant_id_number_sealed)),
        }

    @activity.defn
    async def draw_spot_check(self, input: SpotCheckInput) -> SpotCheckResult:
        """Sample a case for the county's spot check so that at least `percent` % of its cases are
        checked: forced while the county is behind its quota, otherwise random at `percent` %."""
        async with self._sessions() as session:
            existing = await session.scalar(
                select(SpotCheck).where(SpotCheck.application_number == input.application_number)
            )
            if existing is not None:
                return SpotCheckResult(existing.sampled, existing.basis)
            total = await session.scalar(
                select(func.count()).select_from(SpotCheck).where(SpotCheck.county_code == input.county_code)
            )
            sampled_so_far = await session.scalar(
                select(func.count())
                .select_from(SpotCheck)
                .where(SpotCheck.county_code == input.county_code, SpotCheck.sampled.is_(True))
            )
        total, sampled_so_far = int(total or 0), int(sampled_so_far or 0)
        quota = math.ceil(input.percent * (total + 1) / 100)
        if sampled_so_far < quota:
            sampled, basis = True, f"本县已抽查{sampled_so_far}/{total}件，低于{input.percent}%要求，本件必抽"
        else:
            sampled = self._rng.random() < input.percent / 100
            basis = f"本县已抽查{sampled_so_far}/{total}件，按{input.percent}%随机抽取：{'抽中' if sampled else '未抽中'}"
        if not await self._insert_once(
            SpotCheck(
                application_number=input.application_number,
                county_code=input.county_code,
                sampled=sampled,
                drawn_at=input.at.astimezone(UTC),
                basis=basis,
            )
        ):
            return await self.draw_spot_check(input)  # a concurrent retry won: return its draw
        return SpotCheckResult(sampled, basis)


async def _record_stage(session: AsyncSession, event: CaseEvent) -> None:
    """A stage entry with the stage it leaves (the case's previous stage entry), and the case row's
    stage; an entry written late (a lower seq than one already there) becomes the previous of the
    next stage entry and leaves the row's stage to it."""
    e = CaseEvent
    number, seq = event.application_number, event.seq

    def neighbour(before: bool) -> Any:
        return (
            select(e)
            .where(e.application_number == number, e.kind == "stage", e.seq < seq if before else e.seq > seq)
            .order_by(e.seq.desc() if before else e.seq)
            .limit(1)
        )

    previous = await session.scalar(neighbour(before=True))
    if previous is not None:
        event.previous_stage, event.previous_stage_at = previous.stage, previous.at
    session.add(event)
    await session.flush()
    following = await session.scalar(neighbour(before=False))
    if following is not None:
        following.previous_stage, following.previous_stage_at = event.stage, event.at
    else:
        await session.execute(
            update(Application).where(Application.application_number == number).values(stage=event.stage)
        )
