"""Intake (受理): the database row first, then the workflow, both idempotent.

Order matters for "never lose a case": the row is committed before the workflow is started, and
starting uses USE_EXISTING. When the start fails (the workflow service is down) the case is kept
with no workflow and the start repair (infra/case_start.py) starts it later: nobody resubmits.
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

from api.schemas.applications import ApplicationIn, ApplicationOut
from domain.application import workflow_id_for
from domain.enums import RegionLevel, Stage
from domain.staff import Actor, Role, covers
from infra.case_start import UNAVAILABLE, start_case_workflow
from infra.case_start import start_input as start_input  # re-exported: callers import it from here
from infra.models import Application, Region
from infra.models.core import submission_fingerprint
from infra.pii import PiiVault
from services.case_view import CaseService
from services.errors import ApiError, forbidden

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
            # Committed with the row: if the start below never happens (the service down, this
            # process killed), the start repair finds the case.
            workflow_pending=True,
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
            await start_case_workflow(self._client, self._task_queue, self._sessions, row, self._pii)
        except UNAVAILABLE as exc:
            log.error("could not start workflow %s: %s", row.workflow_id, exc)
            # The row is saved with no workflow: the start repair (infra/case_start.py) starts it
            # when the service is back, so the clerk has nothing to do again.
            raise ApiError(
                503,
                "workflow_unavailable",
                "申请已保存，流程服务暂时不可用；服务恢复后将自动启动流程，无需重新提交",
                application_number=row.application_number,
            ) from exc
