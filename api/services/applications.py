"""Intake (受理): the database row first, then the workflow, both idempotent.

Order matters for "never lose a case": the row is committed before the workflow is started, and
starting uses USE_EXISTING, so a resubmission after a failed start simply starts it then.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.errors import ApiError, forbidden
from api.schemas.applications import ApplicationIn, ApplicationOut
from api.services.case_view import CaseService
from domain.application import StartApplicationInput, workflow_id_for
from domain.enums import AssistanceType, Channel, RegionLevel, Stage
from domain.masking import mask_name
from domain.staff import Actor, Role, covers
from infra.models import Application, Region
from infra.models.core import submission_fingerprint
from infra.pii import PiiVault
from workflows import search_attributes as sa
from workflows.application import ApplicationWorkflow

log = logging.getLogger(__name__)


class ApplicationService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: Client,
        task_queue: str,
        cases: CaseService,
        pii: PiiVault,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._task_queue = task_queue
        self._cases = cases
        self._pii = pii

    async def submit(self, body: ApplicationIn, clerk: Actor) -> ApplicationOut:
        if clerk.role is not Role.INTAKE_CLERK:
            raise forbidden("受理申请须由受理窗口人员办理")
        # Unknown regions are a data error (422) before they are a jurisdiction question (403).
        await self._check_regions(body)
        if not covers(clerk.region_code, body.region.community_code):
            raise forbidden("申请人所在村（社区）不在您的受理范围内")
        row, created = await self._insert_or_get(body, clerk)
        await self._ensure_workflow(row)
        return await self._cases.view(row, created=created)

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

    async def _insert_or_get(self, body: ApplicationIn, clerk: Actor) -> tuple[Application, bool]:
        content = body.model_dump(mode="json")
        # The submission as received, plus who keyed it in: a workflow started later (after an
        # outage) is started with the original clerk, whoever resubmits.
        submission: dict[str, Any] = {**content, "submitted_by": asdict(clerk)}
        row = Application(
            application_number=body.application_number,
            workflow_id=workflow_id_for(body.application_number),
            assistance_type=body.assistance_type.value,
            channel=body.channel.value,
            county_code=body.region.county_code,
            township_code=body.region.township_code,
            community_code=body.region.community_code,
            applicant_name=body.applicant.name,
            household_size=len(body.members),
            green_channel=body.green_channel,
            stage=Stage.INTAKE.value,
            accepted_at=datetime.now(UTC),
        )
        row.seal_personal_data(
            self._pii, id_number=body.applicant.id_number, phone=body.applicant.phone, submission=submission
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
            if existing.payload_fingerprint != submission_fingerprint(self._pii, content):
                raise ApiError(
                    409,
                    "application_number_conflict",
                    f"申请编号 {body.application_number} 已用于另一份内容不同的申请，请核对编号",
                ) from None
            return existing, False

    async def _ensure_workflow(self, row: Application) -> None:
        try:
            await self._client.start_workflow(
                ApplicationWorkflow.run,
                start_input(row, row.submission(self._pii)),
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


def start_input(row: Application, payload: dict[str, Any]) -> StartApplicationInput:
    """The workflow input, from the stored row and its opened submission: codes and figures, never
    names or ID numbers (the masked name is what the publicity notice shows anyway)."""
    members: list[dict[str, Any]] = payload.get("members") or []
    clerk = payload.get("submitted_by")
    return StartApplicationInput(
        application_number=row.application_number,
        assistance_type=AssistanceType(row.assistance_type),
        county_code=row.county_code,
        township_code=row.township_code,
        community_code=row.community_code,
        green_channel=row.green_channel,
        accepted_at=row.accepted_at,
        channel=Channel(row.channel),
        household_size=row.household_size,
        declared_monthly_income_fen=sum(int(m.get("monthly_income_fen", 0)) for m in members),
        declared_member_incomes_fen=[int(m.get("monthly_income_fen", 0)) for m in members],
        materials_provided=list(payload.get("materials") or []),
        commitment_signed=bool(payload.get("commitment_signed")),
        staff_relative=payload.get("staff_relative") is not None,
        masked_name=mask_name(row.applicant_name),
        submitted_by=Actor(
            clerk["username"], clerk["display_name"], Role(clerk["role"]), clerk["region_code"]
        )
        if clerk
        else None,
    )
