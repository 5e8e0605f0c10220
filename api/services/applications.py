"""Intake and lookup of applications: the database row first, then the workflow, both idempotent.

Order matters for "never lose a case": the row is committed before the workflow is started, and
starting uses USE_EXISTING, so a resubmission after a failed start simply starts it then.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.errors import ApiError
from api.schemas.applications import ApplicationIn, ApplicationOut
from domain.application import ApplicationStatus, StartApplicationInput, workflow_id_for
from domain.enums import STAGE_LABELS, AssistanceType, Channel, RegionLevel, Stage
from domain.masking import mask_id_number, mask_name
from infra.models import Application, Region
from workflows import search_attributes as sa
from workflows.application import ApplicationWorkflow

log = logging.getLogger(__name__)

# A status query needs a worker; without one the API falls back to the stored stage.
_QUERY_TIMEOUT = timedelta(seconds=10)


def fingerprint(body: ApplicationIn) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ApplicationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client, task_queue: str) -> None:
        self._sessions = sessions
        self._client = client
        self._task_queue = task_queue

    async def submit(self, body: ApplicationIn) -> ApplicationOut:
        await self._check_regions(body)
        row, created = await self._insert_or_get(body)
        await self._ensure_workflow(row)
        return await self._view(row, created=created)

    async def get(self, application_number: str) -> ApplicationOut:
        async with self._sessions() as session:
            row = await session.scalar(
                select(Application).where(Application.application_number == application_number)
            )
        if row is None:
            raise ApiError(404, "application_not_found", f"未找到申请编号为 {application_number} 的申请")
        return await self._view(row, created=False)

    async def _check_regions(self, body: ApplicationIn) -> None:
        wanted = {
            body.region.county_code: RegionLevel.COUNTY,
            body.region.township_code: RegionLevel.TOWNSHIP,
            body.region.community_code: RegionLevel.COMMUNITY,
        }
        async with self._sessions() as session:
            found = {
                r.code: r.level for r in await session.scalars(select(Region).where(Region.code.in_(wanted)))
            }
        missing = [code for code, level in wanted.items() if found.get(code) != level.value]
        if missing:
            raise ApiError(
                422,
                "unknown_region",
                "区划代码不存在或层级不符：" + "、".join(missing),
                errors=[
                    {"field": "region", "type": "unknown_region", "message": f"未知区划 {c}"} for c in missing
                ],
            )

    async def _insert_or_get(self, body: ApplicationIn) -> tuple[Application, bool]:
        digest = fingerprint(body)
        row = Application(
            application_number=body.application_number,
            workflow_id=workflow_id_for(body.application_number),
            assistance_type=body.assistance_type.value,
            channel=body.channel.value,
            county_code=body.region.county_code,
            township_code=body.region.township_code,
            community_code=body.region.community_code,
            applicant_name=body.applicant.name,
            applicant_id_number=body.applicant.id_number,
            applicant_phone=body.applicant.phone,
            household_size=len(body.members),
            green_channel=body.green_channel,
            payload=body.model_dump(mode="json"),
            payload_fingerprint=digest,
            stage=Stage.INTAKE.value,
            accepted_at=datetime.now(UTC),
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
            return row, True
        except IntegrityError:
            # Same number already stored (a resubmission, or a concurrent double click).
            async with self._sessions() as session:
                existing = await session.scalar(
                    select(Application).where(Application.application_number == body.application_number)
                )
            if existing is None:  # pragma: no cover - the unique constraint says it exists
                raise
            if existing.payload_fingerprint != digest:
                raise ApiError(
                    409,
                    "application_number_conflict",
                    f"申请编号 {body.application_number} 已用于另一份内容不同的申请，请核对编号",
                ) from None
            return existing, False

    async def _ensure_workflow(self, row: Application) -> None:
        start = StartApplicationInput(
            application_number=row.application_number,
            assistance_type=AssistanceType(row.assistance_type),
            county_code=row.county_code,
            township_code=row.township_code,
            community_code=row.community_code,
            green_channel=row.green_channel,
            accepted_at=_aware(row.accepted_at),
        )
        try:
            await self._client.start_workflow(
                ApplicationWorkflow.run,
                start,
                id=row.workflow_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=sa.initial(row.assistance_type, row.county_code, row.green_channel),
            )
        except WorkflowAlreadyStartedError:
            pass  # closed already: the case exists, nothing to start
        except (RPCError, RuntimeError) as exc:
            # RuntimeError: the SDK's (re)connect failure when the server cannot be reached at all.
            log.error("could not start workflow %s: %s", row.workflow_id, exc)
            raise ApiError(
                503,
                "workflow_unavailable",
                "申请已保存，但流程服务暂时不可用；请稍后以同一申请编号重新提交，不会重复立案",
                application_number=row.application_number,
            ) from exc

    async def _view(self, row: Application, *, created: bool) -> ApplicationOut:
        status = await self._workflow_status(self._client.get_workflow_handle(row.workflow_id))
        stage = status.stage if status else Stage(row.stage)
        return ApplicationOut(
            application_number=row.application_number,
            workflow_id=row.workflow_id,
            assistance_type=AssistanceType(row.assistance_type),
            channel=Channel(row.channel),
            county_code=row.county_code,
            township_code=row.township_code,
            community_code=row.community_code,
            applicant_name_masked=mask_name(row.applicant_name),
            applicant_id_number_masked=mask_id_number(row.applicant_id_number),
            household_size=row.household_size,
            green_channel=row.green_channel,
            stage=stage,
            stage_label=STAGE_LABELS[stage],
            stored_stage=Stage(row.stage),
            deadline=status.deadline if status else None,
            deadline_provisional=status.deadline_provisional if status else False,
            overdue=status.overdue if status else False,
            accepted_at=_aware(row.accepted_at),
            created=created,
        )

    @staticmethod
    async def _workflow_status(
        handle: WorkflowHandle[ApplicationWorkflow, object],
    ) -> ApplicationStatus | None:
        try:
            return await handle.query(ApplicationWorkflow.status, rpc_timeout=_QUERY_TIMEOUT)
        except (RPCError, RuntimeError) as exc:
            log.warning("status query for %s failed: %s", handle.id, exc)
            return None


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
