"""Reading a case (stored row + live workflow status), its timeline, and the case-level actions.

Jurisdiction is checked against the stored row before anything reaches the workflow, so staff of
another region learn nothing about a case beyond its existence (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.applications import ApplicationOut, LimitOut, PersonalDataOut
from api.schemas.cases import TimelineActor, TimelineEventOut, TimelineOut
from api.schemas.tasks import TaskOut
from domain.application import ApplicationStatus, ExtendDeadlineInput, ObjectionInput, WithdrawInput
from domain.enums import STAGE_LABELS, AssistanceType, Channel, Stage
from domain.masking import PERSONAL_DATA_ROLES, mask_id_number, mask_name, mask_phone
from domain.staff import Actor, Role, covers
from domain.tasks import TaskStatus
from infra.case_projection import backfill_projection, read_projection_at
from infra.case_start import PENDING_LABEL
from infra.models import Application, CaseEvent, Task
from infra.pii import PiiVault
from services.errors import ApiError, forbidden
from services.idempotency import update_id
from services.workflow_gateway import WorkflowGateway

# The live status query, for a case with no projection yet or one that changed a moment ago: a worker
# that cannot answer this fast is busy, and the database's view is shown rather than keep the reader
# waiting.
LIVE_QUERY_TIMEOUT = timedelta(seconds=1)
RECENT_CHANGE = timedelta(seconds=3)


def not_found(application_number: str) -> ApiError:
    return ApiError(404, "application_not_found", f"未找到申请编号为 {application_number} 的申请")


class CaseService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], gateway: WorkflowGateway, pii: PiiVault
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._pii = pii

    async def load(self, application_number: str, actor: Actor) -> Application:
        async with self._sessions() as session:
            row = await session.scalar(
                select(Application).where(Application.application_number == application_number)
            )
        if row is None:
            raise not_found(application_number)
        if not covers(actor.region_code, row.community_code):
            raise forbidden("该案件不在您的管辖范围内")
        return row

    async def get(self, application_number: str, actor: Actor) -> ApplicationOut:
        return await self.view(await self.load(application_number, actor), created=False)

    async def view(
        self, row: Application, *, created: bool, status: ApplicationStatus | None = None
    ) -> ApplicationOut:
        """`status`: the workflow's own answer (an update's); else the case as last projected."""
        now = datetime.now(UTC)
        state: CaseState | None
        if status is not None:
            state = CaseState(status, _open_tasks(status, row.application_number, now), "workflow")
        else:
            state = await self._state(row, created=created, now=now)
        return build_view(row, row.submission(self._pii), self._pii, state, created=created)

    async def _state(self, row: Application, *, created: bool, now: datetime) -> CaseState | None:
        """The workflow's view from the database (its projection and its task rows): a read that
        never waits for a busy worker. The live query, bounded by a short timeout, only where the
        database may be behind: a case that changed a moment ago, and one that projected nothing
        yet (started before projections existed, and unchanged since; its answer is then stored, so
        the next read is from the database too). A case saved a moment ago has nothing to show
        beyond its row: not asked (its first step may not have run)."""
        number = row.application_number
        async with self._sessions() as session:  # closed before any query to the worker
            found = await read_projection_at(session, number)
            rows = [] if found is None else list(
                await session.scalars(
                    select(Task)
                    .where(
                        Task.application_number == number,
                        Task.workflow_id.is_(None),  # the case's own (not its beneficiary's) tasks
                        Task.status.in_((TaskStatus.OPEN.value, TaskStatus.CLAIMED.value)),
                    )
                    .order_by(Task.created_at, Task.task_id)
                )
            )  # fmt: skip
        if found is not None:
            projected, changed_at = found
            if now - changed_at < RECENT_CHANGE:
                # Changed a moment ago (a staff member reading after their own action): the workflow
                # may be mid-step, its next record not written yet — its own answer, if it comes fast.
                live = await self._gateway.status(number, rpc_timeout=LIVE_QUERY_TIMEOUT)
                if live is not None:
                    return CaseState(live, _open_tasks(live, number, now), "workflow")
            return CaseState(projected, [TaskOut.from_row(t, now) for t in rows], "database")
        if created:
            return None
        live = await self._gateway.status(number, rpc_timeout=LIVE_QUERY_TIMEOUT)
        if live is None:
            return None
        async with self._sessions.begin() as session:
            await backfill_projection(session, number, live, now)
        return CaseState(live, _open_tasks(live, number, now), "workflow")

    async def personal_data(self, application_number: str, actor: Actor) -> PersonalDataOut:
        """The unmasked record, for the roles that need it, inside their jurisdiction. The caller
        (the route) records the read in the audit log."""
        if actor.role not in PERSONAL_DATA_ROLES:
            raise forbidden("您的岗位无权查看申请人的完整个人信息")
        row = await self.load(application_number, actor)
        submission = row.submission(self._pii)
        return PersonalDataOut.model_validate(
            {
                "application_number": row.application_number,
                "applicant": {
                    "name": row.applicant_name,
                    "id_number": row.applicant_id_number(self._pii),
                    "phone": row.applicant_phone(self._pii),
                },
                "members": submission.get("members") or [],
                "proxy": submission.get("proxy"),
                "staff_relative": submission.get("staff_relative"),
                "reason": submission.get("reason") or "",
            }
        )

    async def timeline(self, application_number: str, actor: Actor) -> TimelineOut:
        await self.load(application_number, actor)
        async with self._sessions() as session:
            events = await session.scalars(
                select(CaseEvent)
                .where(CaseEvent.application_number == application_number)
                .order_by(CaseEvent.seq)
            )
            tasks = await session.scalars(
                select(Task)
                .where(Task.application_number == application_number)
                .order_by(Task.created_at, Task.task_id)
            )
            now = datetime.now(UTC)
            return TimelineOut(
                application_number=application_number,
                events=[_event(e) for e in events],
                tasks=[TaskOut.from_row(t, now) for t in tasks],
            )

    # -- case actions (role checked by the route, jurisdiction here, state by the workflow) --
    async def file_objection(
        self, application_number: str, summary: str, actor: Actor, key: str | None = None
    ) -> ApplicationOut:
        row = await self.load(application_number, actor)
        uid = update_id(key, "file_objection", application_number, actor, summary)
        status = await self._gateway.file_objection(application_number, ObjectionInput(summary, actor), uid)
        return await self.view(row, created=False, status=status)

    async def file_public_objection(
        self, application_number: str, summary: str, actor: Actor, objection_id: str
    ) -> ApplicationOut:
        """An objection from the public page, registered by the reviewer: the workflow's update id
        is the objection's own, so two reviewers (or a retry after a lost answer) add it once."""
        row = await self.load(application_number, actor)
        uid = f"public_objection-{objection_id}"
        status = await self._gateway.file_objection(application_number, ObjectionInput(summary, actor), uid)
        return await self.view(row, created=False, status=status)

    async def withdraw(
        self, application_number: str, reason: str, actor: Actor, key: str | None = None
    ) -> ApplicationOut:
        row = await self.load(application_number, actor)
        uid = update_id(key, "withdraw", application_number, actor, reason)
        status = await self._gateway.withdraw(application_number, WithdrawInput(reason, actor), uid)
        return await self.view(row, created=False, status=status)

    async def extend(
        self, application_number: str, reason: str, actor: Actor, key: str | None = None
    ) -> ApplicationOut:
        row = await self.load(application_number, actor)
        uid = update_id(key, "extend", application_number, actor, reason)
        status = await self._gateway.extend(application_number, ExtendDeadlineInput(reason, actor), uid)
        return await self.view(row, created=False, status=status)


def _event(row: CaseEvent) -> TimelineEventOut:
    actor = (
        TimelineActor(
            username=row.actor_username,
            role=Role(row.actor_role) if row.actor_role else None,
            name=row.actor_name,
        )
        if row.actor_username
        else None
    )
    return TimelineEventOut(
        seq=row.seq,
        at=row.at,
        kind=row.kind,
        stage=row.stage,
        actor=actor,
        summary=row.summary,
        data=row.data or {},
    )


@dataclass
class CaseState:
    """The workflow's view of a case and where it was read: "workflow" (its answer just now) or
    "database" (its projection, as of its last record)."""

    status: ApplicationStatus
    open_tasks: list[TaskOut]
    source: str


def _open_tasks(status: ApplicationStatus, application_number: str, now: datetime) -> list[TaskOut]:
    return [TaskOut.from_record(t, application_number, now) for t in status.open_tasks]


def build_view(
    row: Application,
    payload: dict[str, Any],
    pii: PiiVault,
    state: CaseState | None,
    *,
    created: bool,
) -> ApplicationOut:
    """The stored case (personal data masked), plus the workflow's view when there is one (else
    the stored stage). `payload` is the opened submission."""
    status = state.status if state else None
    stage = status.stage if status else Stage(row.stage)
    # Saved during an outage and not started yet: the start repair will (infra/case_start.py).
    pending = status is None and row.workflow_pending
    live: dict[str, Any] = {}
    if state is not None and status is not None:
        deadline = status.deadline
        live = {
            "deadline": deadline,
            "deadline_provisional": any(
                lim.provisional for lim in status.limits if lim.active and lim.at == deadline
            ),
            "overdue": status.overdue,
            "limits": [
                LimitOut(
                    name=lim.name,
                    label=lim.label,
                    deadline=lim.at,
                    due_date=lim.due_date,
                    provisional=lim.provisional,
                    met=lim.met,
                    breached=lim.breached,
                    active=lim.active,
                )
                for lim in status.limits
            ],
            "open_tasks": state.open_tasks,
            "missing_materials": status.missing_materials,
            "proposed_amount_fen": status.proposed_amount_fen,
            "approved_amount_fen": status.approved_amount_fen,
            "category": status.category,
            "publicity_rounds": status.publicity_rounds,
            "objections": status.objections,
            "whole_process_extended": status.whole_process_extended,
        }
    return ApplicationOut(
        application_number=row.application_number,
        workflow_id=row.workflow_id,
        assistance_type=AssistanceType(row.assistance_type),
        channel=Channel(row.channel),
        county_code=row.county_code,
        township_code=row.township_code,
        community_code=row.community_code,
        applicant_name_masked=mask_name(row.applicant_name),
        applicant_id_number_masked=mask_id_number(row.applicant_id_number(pii)),
        applicant_phone_masked=mask_phone(row.applicant_phone(pii)),
        household_size=row.household_size,
        green_channel=row.green_channel,
        stage=stage,
        stage_label=PENDING_LABEL if pending else STAGE_LABELS[stage],
        stored_stage=Stage(row.stage),
        live=status is not None,
        status_source=state.source if state else "stored",
        workflow_pending=pending,
        **({"deadline": None, "deadline_provisional": False, "overdue": False} | live),
        materials_provided=list(payload.get("materials") or []),
        commitment_signed=bool(payload.get("commitment_signed")),
        staff_relative=payload.get("staff_relative") is not None,
        accepted_at=row.accepted_at,
        created=created,
    )
