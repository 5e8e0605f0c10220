"""The applicant portal (掌上办, issue 14): what an applicant who proved a phone (SMS code) and an ID
number may file, see and download.

Who sees what (item 5): an applicant sees an application only when BOTH its applicant phone and
its applicant ID number are the ones proved in this session — compared by their keyed digests
(infra/pii), the same digests the applications table keeps. Anything else answers 404 with the
same words as a number that does not exist, so a guessed number learns nothing. This also shows
the family a 帮办代办 case a community worker filed at the window: the same two digests match.

Filing: the body is the window's own ApplicationIn (the route builds it with the window form's
translation, web/intake_form.py), channel `online`. It is kept as an online application waiting
for the township window: no workflow, no legal clock, until a clerk accepts it
(services/online_applications.py) — legal acceptance stays with the window.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.reference import load_calendar
from api.schemas.applications import ApplicationIn, ApplicationOut
from domain.calendar import CHINA_TZ
from domain.case_stages import OPINION, StageStep, stage_path
from domain.deadline_labels import DeadlineLabel, deadline_label
from domain.enums import ASSISTANCE_TYPE_LABELS, STAGE_LABELS, AssistanceType, Channel, Stage
from domain.masking import mask_id_number, mask_name, mask_phone
from domain.policy import PolicyBook
from infra.models import Application, CaseEvent, Notification, OnlineApplication, PortalUpload, Region
from infra.pii import PiiVault
from services.audit import AuditTrail, Clock, Target, Who
from services.case_view import CaseService
from services.errors import ApiError
from services.uploads import CheckedFile

ONLINE_STATUS_LABELS = {
    "submitted": "已提交，等待乡镇（街道）窗口受理",
    "returned": "已退回，请按下面的清单补齐后重新申请",
    "withdrawn": "已撤回",
    "accepted": "窗口已受理",
}
# What the family is told at each stage of a case, in plain words.
PLAIN_STAGE = {
    Stage.INTAKE: "已受理，正在审核材料",
    Stage.VERIFICATION: "正在核查家庭经济状况（工作人员可能入户走访）",
    Stage.DEMOCRATIC_REVIEW: "正在进行民主评议",
    Stage.PUBLICITY: "正在公示",
    Stage.APPROVAL: "正在审批",
    Stage.RESCUE: "正在先行救助",
    Stage.PAPERWORK: "正在补办手续",
    Stage.APPROVED: "已批准",
    Stage.REJECTED: "不予批准",
    Stage.WITHDRAWN: "已撤回",
    Stage.CLOSED: "已办结",
}
# Timeline entries the family is told about: the decisions and notices, and each SMS sent to them
# (`sms_sent`, written by the notices). Not `sms_failed` / `sms_undelivered`: those tell staff to
# reach the family another way, in staff words.
NOTICE_KINDS = frozenset(
    {"accepted", "materials_notice", "notice_sent", "approved", "rejected", "withdrawn", "exited", "sms_sent"}
)


def family_notices(events: list[CaseEvent]) -> list[Notice]:
    return [Notice(e.at, e.summary) for e in events if e.kind in NOTICE_KINDS]


def not_found() -> ApiError:
    # One answer for "no such application" and "not yours": a guessed number learns nothing.
    return ApiError(
        404, "application_not_found", "未找到这份申请，或这份申请不是用您核验的手机号和身份证号提交的"
    )


@dataclass(frozen=True)
class Applicant:
    """Who the portal session proved: the phone (SMS code) and, once entered, the ID number."""

    phone: str
    phone_digest: str
    id_digest: str | None
    phone_masked: str


@dataclass(frozen=True)
class PortalItem:
    kind: str  # "online" | "case"
    key: str  # the online reference, or the application number
    type_label: str
    status_label: str
    submitted_at: datetime
    needs: str


@dataclass(frozen=True)
class FileInfo:
    token: str
    material: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class OnlineView:
    reference: str
    type_label: str
    status: str
    status_label: str
    applicant_name_masked: str
    household_size: int
    submitted_at: datetime
    materials: list[str]
    files: list[FileInfo]
    missing: list[str]
    return_note: str
    application_number: str | None
    township_name: str
    community_name: str


@dataclass(frozen=True)
class Notice:
    at: datetime
    text: str


@dataclass(frozen=True)
class CaseView:
    case: ApplicationOut
    type_label: str
    plain_stage: str
    steps: list[StageStep]
    needs: list[str]
    deadline: DeadlineLabel | None
    notices: list[Notice]
    decision: Notice | None
    amount_fen: int | None
    withdrawal_requested: bool
    ended: bool = field(default=False)
    # A monthly benefit (低保, 特困 …) or a one-off grant (临时救助): the family reads the amount so.
    monthly: bool = field(default=True)


class PortalService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cases: CaseService,
        policies: PolicyBook,
        pii: PiiVault,
        clock: Clock,
        trail: AuditTrail,
    ) -> None:
        self._sessions = sessions
        self._cases = cases
        self._policies = policies
        self._pii = pii
        self._clock = clock
        self._trail = trail

    def applicant(self, phone: str, id_number: str | None) -> Applicant:
        return Applicant(
            phone,
            self._pii.digest(phone),
            self._pii.digest(id_number) if id_number else None,
            mask_phone(phone),
        )

    def _require_id(self, applicant: Applicant) -> str:
        if applicant.id_digest is None:
            raise ApiError(403, "identity_required", "请先填写并核验申请人身份证号")
        return applicant.id_digest

    # -- filing ---------------------------------------------------------------------------------
    async def submit(
        self, applicant: Applicant, body: ApplicationIn, files: list[CheckedFile], key: str
    ) -> str:
        """The online application's reference. `body` has passed ApplicationIn (channel online);
        its applicant must be the proved person. One application per form key (a double tap)."""
        id_digest = self._require_id(applicant)
        errors: list[dict[str, str]] = []
        if self._pii.digest(body.applicant.id_number) != id_digest:
            errors.append(_err("applicant-id_number", "申请人身份证号须与您登录时核验的身份证号一致"))
        if body.applicant.phone != applicant.phone:
            errors.append(_err("applicant-phone", "申请人手机号须为您登录时验证的手机号"))
        if body.channel is not Channel.ONLINE:
            errors.append(_err("channel", "网上申请的渠道只能是“网上申请”"))
        async with self._sessions() as session:
            community = await session.get(Region, body.region.community_code)
            township = await session.get(Region, body.region.township_code)
        if (
            community is None
            or community.parent_code != body.region.township_code
            or township is None
            or township.parent_code != body.region.county_code
        ):
            errors.append(_err("community_code", "请选择您户籍或居住地所在的村（社区）"))
        if errors:
            raise ApiError(422, "validation_error", "提交的内容有误，请按提示修改", errors=errors)

        now = self._clock()
        day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
        reference = f"WS{day}{secrets.token_hex(4).upper()}"
        # The case's number, made now and kept with the submission: the window's acceptance files
        # under it, so a repeated acceptance (a double click, two clerks) is the same one case.
        number = f"{body.region.township_code}-{day}-W{secrets.token_hex(3).upper()}"
        content = body.model_dump(mode="json") | {"application_number": number}
        row = OnlineApplication(
            reference=reference,
            submit_key=self._pii.digest(f"portal-submit:{applicant.phone_digest}:{key}"),
            assistance_type=body.assistance_type.value,
            county_code=body.region.county_code,
            township_code=body.region.township_code,
            community_code=body.region.community_code,
            applicant_name=body.applicant.name,
            household_size=len(body.members),
            applicant_phone_digest=applicant.phone_digest,
            applicant_id_number_digest=id_digest,
            payload_sealed=self._pii.seal_json(content),
            status="submitted",
            missing=[],
            return_note="",
            submitted_at=now,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                await session.flush()
                for f in files:
                    session.add(
                        PortalUpload(
                            token=secrets.token_urlsafe(18),
                            online_application_id=row.id,
                            material=f.material,
                            content_type=f.content_type,
                            size=len(f.content),
                            sha256=f.sha256,
                            content_sealed=self._pii.seal_bytes(f.content),
                            uploaded_at=now,
                        )
                    )
        except IntegrityError:  # the same form sent twice: the application it made
            async with self._sessions() as session:
                existing = await session.scalar(
                    select(OnlineApplication.reference).where(OnlineApplication.submit_key == row.submit_key)
                )
            if existing is None:  # pragma: no cover - a random reference collided
                raise
            return existing
        await self._trail.record(
            Who(f"applicant:{applicant.phone_masked}"),
            "online_application.submitted",
            Target("online_application", reference, region_code=body.region.community_code),
            status_code=201,
            detail={"assistance_type": body.assistance_type.value, "files": len(files)},
        )
        return reference

    # -- reading ----------------------------------------------------------------------------------
    async def mine(self, applicant: Applicant) -> list[PortalItem]:
        id_digest = self._require_id(applicant)
        async with self._sessions() as session:
            online = list(
                await session.scalars(
                    select(OnlineApplication)
                    .where(
                        OnlineApplication.applicant_phone_digest == applicant.phone_digest,
                        OnlineApplication.applicant_id_number_digest == id_digest,
                        OnlineApplication.status != "accepted",
                    )
                    .order_by(OnlineApplication.submitted_at.desc())
                )
            )
            cases = list(
                await session.scalars(
                    select(Application)
                    .where(
                        Application.applicant_phone_digest == applicant.phone_digest,
                        Application.applicant_id_number_digest == id_digest,
                    )
                    .order_by(Application.accepted_at.desc())
                )
            )
        items = [
            PortalItem(
                "online",
                o.reference,
                type_label(o.assistance_type),
                ONLINE_STATUS_LABELS.get(o.status, o.status),
                o.submitted_at,
                "补齐材料后重新申请" if o.status == "returned" else "",
            )
            for o in online
        ]
        for c in cases:
            stage = Stage(c.stage)
            items.append(
                PortalItem(
                    "case",
                    c.application_number,
                    type_label(c.assistance_type),
                    PLAIN_STAGE.get(stage, STAGE_LABELS[stage]),
                    c.accepted_at,
                    "",
                )
            )
        return items

    async def _own_online(self, applicant: Applicant, reference: str) -> OnlineApplication:
        id_digest = self._require_id(applicant)
        async with self._sessions() as session:
            row = await session.scalar(
                select(OnlineApplication).where(OnlineApplication.reference == reference)
            )
        if (
            row is None
            or row.applicant_phone_digest != applicant.phone_digest
            or row.applicant_id_number_digest != id_digest
        ):
            raise not_found()
        return row

    async def _own_case(self, applicant: Applicant, number: str) -> Application:
        id_digest = self._require_id(applicant)
        async with self._sessions() as session:
            row = await session.scalar(select(Application).where(Application.application_number == number))
        if (
            row is None
            or row.applicant_phone_digest != applicant.phone_digest
            or (row.applicant_id_number_digest != id_digest)
        ):
            raise not_found()
        return row

    async def online(self, applicant: Applicant, reference: str) -> OnlineView:
        return await online_view(self._sessions, self._pii, await self._own_online(applicant, reference))

    async def case(self, applicant: Applicant, number: str) -> CaseView:
        row = await self._own_case(applicant, number)
        case = await self._cases.view(row, created=False)
        async with self._sessions() as session:
            events = list(
                await session.scalars(
                    select(CaseEvent).where(CaseEvent.application_number == number).order_by(CaseEvent.seq)
                )
            )
            asked = await session.scalar(
                select(Notification.id).where(Notification.key == _withdrawal_key(number))
            )
        policy = self._policies.resolve(case.assistance_type, case.county_code)
        visited = {e.stage for e in events} | (
            {OPINION} if any(e.kind == "opinion" for e in events) else set()
        )
        steps = stage_path(policy, case.stage, visited=visited)
        notices = family_notices(events)
        decision = next(
            (Notice(e.at, e.summary) for e in reversed(events) if e.kind in ("approved", "rejected")), None
        )
        needs = list(case.missing_materials) if case.stage in (Stage.INTAKE,) else []
        label = None
        if case.deadline is not None and case.stage not in (
            Stage.APPROVED,
            Stage.REJECTED,
            Stage.WITHDRAWN,
            Stage.CLOSED,
        ):
            label = deadline_label(await load_calendar(self._sessions), case.deadline, self._clock())
        return CaseView(
            case=case,
            type_label=type_label(case.assistance_type.value),
            plain_stage=PLAIN_STAGE.get(case.stage, case.stage_label),
            steps=steps,
            needs=needs,
            deadline=label,
            notices=notices,
            decision=decision,
            amount_fen=case.approved_amount_fen or None,
            withdrawal_requested=asked is not None,
            monthly=policy.recurring,
            ended=case.stage in (Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN, Stage.CLOSED),
        )

    async def file(self, applicant: Applicant, token: str) -> tuple[str, bytes]:
        """An uploaded file of the applicant's own online application, else 404."""
        async with self._sessions() as session:
            upload = await session.scalar(select(PortalUpload).where(PortalUpload.token == token))
            owner = await session.get(OnlineApplication, upload.online_application_id) if upload else None
        if upload is None or owner is None:
            raise ApiError(404, "file_not_found", "未找到该文件")
        await self._own_online(applicant, owner.reference)
        return upload.content_type, self._pii.open_bytes(upload.content_sealed)

    # -- withdrawal -------------------------------------------------------------------------------
    async def withdraw_online(self, applicant: Applicant, reference: str) -> None:
        row = await self._own_online(applicant, reference)
        async with self._sessions.begin() as session:
            done = await session.execute(
                update(OnlineApplication)
                .where(OnlineApplication.id == row.id, OnlineApplication.status == "submitted")
                .values(status="withdrawn", decided_at=self._clock())
            )
        if not done.rowcount:  # type: ignore[attr-defined]
            raise ApiError(
                409, "not_withdrawable", "这份申请已被窗口处理，不能再撤回；如需撤回请在申请详情中提出"
            )
        await self._trail.record(
            Who(f"applicant:{applicant.phone_masked}"),
            "online_application.withdrawn",
            Target("online_application", reference, region_code=row.community_code),
        )

    async def request_withdrawal(self, applicant: Applicant, number: str, reason: str) -> None:
        """A withdrawal request of an accepted case: the window registers it with the case's own
        withdrawal action (application.withdraw), since only staff act on a case. Once per case."""
        row = await self._own_case(applicant, number)
        reason = reason.strip()[:200]
        if not reason:
            raise ApiError(
                422, "validation_error", "请写明撤回的原因", errors=[_err("reason", "请写明撤回的原因")]
            )
        if Stage(row.stage) in (Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN, Stage.CLOSED):
            raise ApiError(409, "case_ended", "这份申请已经办结，不能撤回")
        try:
            async with self._sessions.begin() as session:
                session.add(
                    Notification(
                        key=_withdrawal_key(number),
                        application_number=number,
                        kind="withdrawal_request",
                        recipient_role="intake_clerk",
                        region_code=row.township_code,
                        message=f"申请人通过掌上办申请撤回（{number}）。原因：{reason}。请核实后在案件页登记撤回。",
                    )
                )
        except IntegrityError:
            return  # asked already: once is enough
        await self._trail.record(
            Who(f"applicant:{applicant.phone_masked}"),
            "application.withdrawal_requested",
            Target.application(number, row.community_code),
        )


async def online_view(
    sessions: async_sessionmaker[AsyncSession], pii: PiiVault, row: OnlineApplication
) -> OnlineView:
    payload: dict[str, Any] = pii.open_json(row.payload_sealed)
    async with sessions() as session:
        files = list(
            await session.scalars(
                select(PortalUpload)
                .where(PortalUpload.online_application_id == row.id)
                .order_by(PortalUpload.id)
            )
        )
        names = {
            r.code: r.name
            for r in await session.scalars(
                select(Region).where(Region.code.in_([row.township_code, row.community_code]))
            )
        }
    return OnlineView(
        reference=row.reference,
        type_label=type_label(row.assistance_type),
        status=row.status,
        status_label=ONLINE_STATUS_LABELS.get(row.status, row.status),
        applicant_name_masked=mask_name(row.applicant_name),
        household_size=row.household_size,
        submitted_at=row.submitted_at,
        materials=[str(m) for m in payload.get("materials") or []],
        files=[FileInfo(f.token, f.material, f.content_type, f.size, f.sha256) for f in files],
        missing=list(row.missing or []),
        return_note=row.return_note,
        application_number=row.application_number,
        township_name=names.get(row.township_code, row.township_code),
        community_name=names.get(row.community_code, row.community_code),
    )


def masked_id(pii: PiiVault, row: OnlineApplication) -> str:
    payload: dict[str, Any] = pii.open_json(row.payload_sealed)
    return mask_id_number(str((payload.get("applicant") or {}).get("id_number") or ""))


def _withdrawal_key(number: str) -> str:
    return f"portal-withdrawal:{number}"


def type_label(code: str) -> str:
    try:
        return ASSISTANCE_TYPE_LABELS[AssistanceType(code)]
    except ValueError:
        return code


def _err(field_name: str, message: str) -> dict[str, str]:
    return {"field": field_name, "type": "portal", "message": message}
