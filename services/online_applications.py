"""网上申请 at the township window: the online applications of the clerk's jurisdiction, accepted
(受理) or returned with the list of what is missing.

Acceptance is the window's legal act: it files the stored submission through
ApplicationService.submit — the very service the window's own intake uses, with the clerk as the
one who accepts — so the workflow starts then, its limits run from that moment, and the case's
channel is `online`. The case's number was made when the applicant filed, so a second acceptance
(a double click, two clerks at once) is the same one case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.applications import ApplicationIn
from domain.enums import AssistanceType
from domain.masking import mask_name
from domain.policy import PolicyBook
from domain.staff import Actor, Role, covers
from infra.models import OnlineApplication, PortalUpload
from infra.pii import PiiVault
from services.applications import ApplicationService
from services.audit import AuditTrail, Clock, Target
from services.errors import ApiError, forbidden
from services.portal import OnlineView, masked_id, online_view, type_label


@dataclass(frozen=True)
class QueueRow:
    reference: str
    type_label: str
    applicant_name_masked: str
    household_size: int
    submitted_at: datetime
    community_code: str


@dataclass(frozen=True)
class ClerkView:
    view: OnlineView
    applicant_id_masked: str
    checklist: list[str]  # the policy's materials for this type and county
    suggested_missing: list[str]  # the policy's rule on what was uploaded and the commitment


def _not_found() -> ApiError:
    return ApiError(404, "online_application_not_found", "未找到该网上申请")


class OnlineApplicationService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        applications: ApplicationService,
        policies: PolicyBook,
        pii: PiiVault,
        clock: Clock,
        trail: AuditTrail,
    ) -> None:
        self._sessions = sessions
        self._applications = applications
        self._policies = policies
        self._pii = pii
        self._clock = clock
        self._trail = trail

    @staticmethod
    def _check_clerk(clerk: Actor) -> None:
        if clerk.role is not Role.INTAKE_CLERK:
            raise forbidden("网上申请须由受理窗口人员受理")

    async def queue(self, clerk: Actor) -> list[QueueRow]:
        self._check_clerk(clerk)
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(OnlineApplication)
                    .where(
                        OnlineApplication.status == "submitted",
                        OnlineApplication.community_code.startswith(clerk.region_code),
                    )
                    .order_by(OnlineApplication.submitted_at)
                    .limit(500)
                )
            )

        return [
            QueueRow(
                r.reference,
                type_label(r.assistance_type),
                mask_name(r.applicant_name),
                r.household_size,
                r.submitted_at,
                r.community_code,
            )
            for r in rows
            if covers(clerk.region_code, r.community_code)
        ]

    async def _load(self, clerk: Actor, reference: str) -> OnlineApplication:
        self._check_clerk(clerk)
        async with self._sessions() as session:
            row = await session.scalar(
                select(OnlineApplication).where(OnlineApplication.reference == reference)
            )
        if row is None:
            raise _not_found()
        if not covers(clerk.region_code, row.community_code):
            raise forbidden("该网上申请不在您的受理范围内")
        return row

    async def detail(self, clerk: Actor, reference: str) -> ClerkView:
        row = await self._load(clerk, reference)
        view = await online_view(self._sessions, self._pii, row)
        policy = self._policies.resolve(AssistanceType(row.assistance_type), row.county_code)
        payload = self._pii.open_json(row.payload_sealed)
        signed = bool(payload.get("commitment_signed"))
        return ClerkView(
            view,
            masked_id(self._pii, row),
            list(policy.required_materials),
            policy.missing_materials(view.materials, signed),
        )

    async def file(self, clerk: Actor, token: str) -> tuple[str, bytes]:
        async with self._sessions() as session:
            upload = await session.scalar(select(PortalUpload).where(PortalUpload.token == token))
            owner = await session.get(OnlineApplication, upload.online_application_id) if upload else None
        if upload is None or owner is None:
            raise ApiError(404, "file_not_found", "未找到该文件")
        await self._load(clerk, owner.reference)
        return upload.content_type, self._pii.open_bytes(upload.content_sealed)

    async def accept(self, clerk: Actor, reference: str) -> str:
        """受理: the case's application number (the same one on a repeat)."""
        row = await self._load(clerk, reference)
        if row.status == "accepted" and row.application_number:
            return row.application_number
        if row.status != "submitted":
            raise ApiError(409, "online_application_decided", "这份网上申请已退回或已撤回，不能受理")
        body = ApplicationIn.model_validate(self._pii.open_json(row.payload_sealed))
        target = Target.application(body.application_number, row.community_code)
        try:
            await self._applications.submit(body, clerk)
        except ApiError as refusal:
            if refusal.code != "workflow_unavailable":  # saved: the start repair starts it
                await self._trail.record(
                    clerk, "application.submit", target, status_code=refusal.status_code,
                    detail={"channel": "online", "via": "online_acceptance", "code": refusal.code},
                )  # fmt: skip
                raise
        async with self._sessions.begin() as session:
            await session.execute(
                update(OnlineApplication)
                .where(OnlineApplication.id == row.id, OnlineApplication.status == "submitted")
                .values(
                    status="accepted",
                    application_number=body.application_number,
                    decided_at=self._clock(),
                    decided_by=clerk.username,
                )
            )
        await self._trail.record(
            clerk, "application.submit", target, status_code=201,
            detail={"channel": "online", "via": "online_acceptance", "reference": reference},
        )  # fmt: skip
        return body.application_number

    async def return_(self, clerk: Actor, reference: str, missing: list[str], note: str) -> None:
        """退回: the applicant sees the list (one-time notice: everything at once)."""
        row = await self._load(clerk, reference)
        items = [m.strip()[:200] for m in missing if m.strip()][:30]
        note = note.strip()[:500]
        if not items and not note:
            message = "请勾选缺少的材料或写明退回原因"
            raise ApiError(
                422,
                "validation_error",
                message,
                errors=[{"field": "missing", "type": "required", "message": message}],
            )
        async with self._sessions.begin() as session:
            done = await session.execute(
                update(OnlineApplication)
                .where(OnlineApplication.id == row.id, OnlineApplication.status == "submitted")
                .values(
                    status="returned",
                    missing=items,
                    return_note=note,
                    decided_at=self._clock(),
                    decided_by=clerk.username,
                )
            )
        if not done.rowcount:  # type: ignore[attr-defined]
            raise ApiError(409, "online_application_decided", "这份网上申请已被处理（已受理、退回或撤回）")
        await self._trail.record(
            clerk,
            "online_application.returned",
            Target("online_application", reference, region_code=row.community_code),
            detail={"missing": len(items)},
        )
