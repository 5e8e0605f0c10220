"""Objections to a publicity from anyone (公示异议), sent from the public publicity page, and the
township reviewer's queue of them (SPEC.md: "Publicity is public: anyone may object, with a
reachable contact").

Submitting (no sign-in): the text, an optional evidence file (type by content, size-limited), and
a mobile phone proved by an SMS code (purpose "objection", the phone-code service). In order:
field checks (every problem beside its field) → the same form sent again answers with the
objection it made (before the code is asked again: the first send used it up) → submissions per
phone and per client address (429) → the form's key taken by a pending row (a racing second send
waits for this one instead of spending the single-use code again) → the code (refused: the row
is deleted) → the objection opened, with the file; the text, phone and file sealed with the PII
vault, the file's SHA-256 beside it. Audited with no actor (the public) and codes only.

Deciding (township reviewer of the case's township): register it on the case — the case's own
objection action (CaseService.file_public_objection: the workflow's update, whose id is the
objection's, so two reviewers or a retry add one objection) — or dismiss it with a reason. Either
closes the item once; both are audited.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas.applications import ApplicationOut
from api.schemas.cases import Reason
from domain.calendar import CHINA_TZ
from domain.enums import STAGE_LABELS, Stage
from domain.evidence_files import check_evidence
from domain.masking import mask_name, mask_phone
from domain.messages import field_errors
from domain.staff import ROLE_LABELS, Actor, Role, covers
from infra.models import Application, PublicObjection, PublicObjectionEvidence, Region
from infra.pii import PiiVault
from services.audit import AuditTrail, Clock, Target
from services.case_search import CaseSearch
from services.case_view import CaseService
from services.errors import ApiError, forbidden

PURPOSE = "objection"  # the phone-code service's purpose for an objector's phone
REVIEWER_ROLES = (Role.TOWNSHIP_REVIEWER,)
QUEUE_ROLES = frozenset({Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_HEAD, Role.SUPERVISOR})
_MOBILE = re.compile(r"1[3-9]\d{9}")
_CODE = re.compile(r"\d{6}")
# How long a second send of a form waits for the first one's code check (20 × 0.1 s).
_PENDING_POLLS = 20
_PENDING_POLL_SECONDS = 0.1
STATUS_LABELS = {"open": "待处理", "registered": "已登记为案件异议", "dismissed": "不予登记"}


class PhoneCodes(Protocol):
    """The phone-code service (services/phone_codes.py, purpose "objection"): `request` sends a
    code by SMS, `verify` checks one; a refusal is an ApiError (or a false answer)."""

    def request(self, phone: str, purpose: str, client_ip: str | None) -> Awaitable[object]: ...

    def verify(self, phone: str, purpose: str, code: str) -> Awaitable[object]: ...


@dataclass(frozen=True)
class ObjectionLimits:
    """How many objections one phone and one client address may send (a household's neighbours
    may all object; a script may not flood the reviewer's queue)."""

    per_phone_hour: int = 3
    per_phone_day: int = 10
    per_address_hour: int = 10


@dataclass(frozen=True)
class ObjectionForm:
    community_code: str
    ref: str  # the public page's name for the case (CaseSearch.public_ref)
    text: str
    phone: str
    code: str
    form_key: str
    evidence: bytes | None = None  # None or b"": no file chosen


@dataclass(frozen=True)
class ObjectionReceipt:
    objection_id: str
    submitted_at: datetime
    created: bool


@dataclass(frozen=True)
class EvidenceInfo:
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class ObjectionItem:
    """One objection as the reviewer's queue shows it (the phone masked, the text in full)."""

    objection_id: str
    application_number: str
    applicant_name_masked: str
    community_name: str
    case_stage_label: str
    in_publicity: bool
    text: str
    phone_masked: str
    submitted_at: datetime
    status: str
    evidence: EvidenceInfo | None
    decided_by: str | None
    decided_at: datetime | None
    dismiss_reason: str | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000)] = Field(
        description="异议内容"
    )


class _Dismissal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "type": code, "message": message}


def normalise_phone(raw: str) -> str:
    """Full-width digits, spaces and dashes pasted from elsewhere are the same number."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw or ""))


def _digest_key(form_key: str) -> str:
    return hashlib.sha256(f"public-objection:{form_key}".encode()).hexdigest()


class PublicObjections:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pii: PiiVault,
        search: CaseSearch,
        codes: PhoneCodes | None,
        trail: AuditTrail,
        clock: Clock,
        limits: ObjectionLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._pii = pii
        self._search = search
        self._codes = codes
        self._trail = trail
        self._clock = clock
        self._limits = limits or ObjectionLimits()

    def _now(self) -> datetime:
        return self._clock()

    # -- the public side --
    async def request_code(self, phone_raw: str, client_ip: str | None) -> str:
        """Sends the objection code to a mobile number; the normalised number."""
        phone = normalise_phone(phone_raw)
        if not _MOBILE.fullmatch(phone):
            raise ApiError(
                422, "validation_error", "提交的内容有误",
                errors=[_error("phone", "invalid_phone", "请填写11位手机号码，用于接收验证码")],
            )  # fmt: skip
        if self._codes is None:
            raise ApiError(503, "sms_unavailable", "短信验证暂不可用，请稍后再试或到乡镇（街道）窗口反映")
        await self._codes.request(phone, PURPOSE, client_ip)
        return phone

    async def submit(self, form: ObjectionForm) -> ObjectionReceipt:
        client_ip = self._trail.context.client_ip
        phone = normalise_phone(form.phone)
        errors: list[dict[str, str]] = []
        try:
            text = _Fields.model_validate({"text": form.text}).text
        except ValidationError as invalid:
            text = ""
            errors += field_errors(invalid)
        if not _MOBILE.fullmatch(phone):
            errors.append(_error("phone", "invalid_phone", "请填写11位手机号码，用于接收验证码"))
        code = unicodedata.normalize("NFKC", form.code or "").strip()
        if not _CODE.fullmatch(code):
            errors.append(_error("code", "invalid_code", "请填写短信收到的6位验证码"))
        kind: str | None = None
        if form.evidence:
            kind, problem = check_evidence(form.evidence)
            if problem is not None:
                errors.append(_error("evidence", problem.code, problem.message))
        try:
            uuid.UUID(form.form_key)
        except ValueError:
            errors.append(_error("form_key", "invalid_form", "页面已过期，请刷新后重新填写"))
        case = await self._search.public_case(form.community_code, form.ref)
        if case is None:
            errors.append(_error("ref", "not_in_publicity", "请选择正在公示的对象（公示可能已结束）"))
        if errors:
            await self._refused(422, "validation_error", case)
            raise ApiError(422, "validation_error", "提交的内容有误", errors=errors)
        assert case is not None
        key = _digest_key(form.form_key)
        if (again := await self._resent(key, phone)) is not None:
            return again
        await self._check_limits(phone, client_ip, case)
        # The form's key is taken first, by a row nobody sees yet ("pending"): a second send of
        # the same form (a double click) meets it and waits for this one's outcome instead of
        # spending the code again — the code is single use, so it would be refused.
        row = PublicObjection(
            objection_id=uuid.uuid4().hex,
            application_number=case.application_number,
            township_code=case.township_code,
            community_code=case.community_code,
            text_sealed=self._pii.seal(text),
            phone_sealed=self._pii.seal(phone),
            phone_digest=self._pii.digest(phone),
            client_ip=client_ip,
            form_key_hash=key,
            has_evidence=kind is not None,
            submitted_at=self._now(),
            status="pending",
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            if (again := await self._resent(key, phone)) is not None:
                return again
            raise ApiError(
                409, "form_in_progress", "此表单的另一次提交未成功，请刷新页面后重新提交"
            ) from None
        try:
            await self._verify(phone, code, key, case)
        except ApiError:
            async with self._sessions.begin() as session:  # nothing stays of a refused send
                await session.execute(
                    delete(PublicObjection).where(
                        PublicObjection.objection_id == row.objection_id, PublicObjection.status == "pending"
                    )
                )
            raise
        async with self._sessions.begin() as session:
            if kind is not None and form.evidence:
                session.add(
                    PublicObjectionEvidence(
                        objection_id=row.objection_id,
                        content_type=kind,
                        size_bytes=len(form.evidence),
                        sha256=hashlib.sha256(form.evidence).hexdigest(),
                        content_sealed=self._pii.seal(base64.b64encode(form.evidence).decode()),
                    )
                )
            await session.execute(
                update(PublicObjection)
                .where(PublicObjection.objection_id == row.objection_id)
                .values(status="open")
            )
        await self._trail.record(
            None,
            "public_objection.submitted",
            Target("public_objection", row.objection_id, case.application_number, case.community_code),
            detail={"channel": "public", "evidence": kind or ""},
        )
        return ObjectionReceipt(row.objection_id, row.submitted_at, created=True)

    async def _resent(self, key: str, phone: str) -> ObjectionReceipt | None:
        """The objection this form already made, or None. While another send of the same form is
        checking its code (pending), waits for its outcome (a few seconds at most)."""
        for _ in range(_PENDING_POLLS):
            async with self._sessions() as session:
                row = await session.scalar(
                    select(PublicObjection).where(PublicObjection.form_key_hash == key)
                )
            if row is None:
                return None
            if row.phone_digest != self._pii.digest(phone):
                raise ApiError(409, "form_already_used", "此表单已提交过，请刷新页面后重新填写")
            if row.status != "pending":
                return ObjectionReceipt(row.objection_id, row.submitted_at, created=False)
            await asyncio.sleep(_PENDING_POLL_SECONDS)
        raise ApiError(409, "form_in_progress", "此表单正在提交中，请稍后刷新页面查看")

    async def _check_limits(self, phone: str, client_ip: str | None, case: Application) -> None:
        now = self._now()
        digest = self._pii.digest(phone)
        hour, day = now - timedelta(hours=1), now - timedelta(days=1)
        async with self._sessions() as session:

            async def count(*where: object) -> int:
                found = await session.scalar(select(func.count()).select_from(PublicObjection).where(*where))  # type: ignore[arg-type]
                return int(found or 0)

            by_phone_hour = await count(
                PublicObjection.phone_digest == digest, PublicObjection.submitted_at > hour
            )
            by_phone_day = await count(
                PublicObjection.phone_digest == digest, PublicObjection.submitted_at > day
            )
            by_address = (
                await count(PublicObjection.client_ip == client_ip, PublicObjection.submitted_at > hour)
                if client_ip
                else 0
            )
        limits = self._limits
        if by_phone_hour >= limits.per_phone_hour or by_phone_day >= limits.per_phone_day:
            await self._refused(429, "too_many_objections", case)
            raise ApiError(
                429, "too_many_objections", "该手机号提交的异议过多，请稍后再试；如情况紧急，请到乡镇（街道）窗口反映",
                errors=[_error("phone", "too_many_objections", "该手机号提交的异议过多，请一小时后再试")],
            )  # fmt: skip
        if by_address >= limits.per_address_hour:
            await self._refused(429, "too_many_objections", case)
            raise ApiError(
                429,
                "too_many_objections",
                "提交过于频繁，请一小时后再试；如情况紧急，请到乡镇（街道）窗口反映",
            )

    async def _verify(self, phone: str, code: str, key: str, case: Application) -> None:
        if self._codes is None:
            raise ApiError(503, "sms_unavailable", "短信验证暂不可用，请稍后再试或到乡镇（街道）窗口反映")
        try:
            answer = await self._codes.verify(phone, PURPOSE, code)
        except ApiError as refusal:
            await self._refused(refusal.status_code, refusal.code, case)
            raise ApiError(
                refusal.status_code, refusal.code, refusal.message,
                errors=[_error("code", refusal.code, refusal.message)],
            ) from None  # fmt: skip
        if answer is False:
            await self._refused(422, "wrong_code", case)
            raise ApiError(
                422, "wrong_code", "验证码不正确或已过期",
                errors=[_error("code", "wrong_code", "验证码不正确或已过期，请重新获取")],
            )  # fmt: skip

    async def _refused(self, status: int, code: str, case: Application | None) -> None:
        target = Target("public_objection", None, case.application_number if case else None,
                        case.community_code if case else None)  # fmt: skip
        await self._trail.record(
            None, "public_objection.submitted", target, status_code=status,
            detail={"channel": "public", "code": code},
        )  # fmt: skip

    # -- the reviewer's side --
    async def queue(self, actor: Actor, include_closed: bool = False) -> list[ObjectionItem]:
        """The objections about cases of the caller's region, the open ones first (oldest first)."""
        if actor.role not in QUEUE_ROLES:
            raise forbidden("群众异议仅限乡镇审核人员、乡镇（街道）负责人和监督人员查看")
        query = (
            select(PublicObjection, Application, Region.name)
            .join(Application, Application.application_number == PublicObjection.application_number)
            .outerjoin(Region, Region.code == PublicObjection.community_code)
            .where(PublicObjection.township_code.startswith(actor.region_code, autoescape=True))
        )
        if include_closed:
            query = query.where(PublicObjection.status != "pending")
        else:
            query = query.where(PublicObjection.status == "open")
        async with self._sessions() as session:
            rows = (await session.execute(query.order_by(PublicObjection.submitted_at).limit(200))).all()
            evidence = {
                e.objection_id: EvidenceInfo(e.content_type, e.size_bytes, e.sha256)
                for e in await session.scalars(
                    select(PublicObjectionEvidence).where(
                        PublicObjectionEvidence.objection_id.in_([o.objection_id for o, _, _ in rows])
                    )
                )
            }
        items = [self._item(o, a, name, evidence.get(o.objection_id)) for o, a, name in rows]
        return sorted(items, key=lambda i: (i.status != "open", i.submitted_at))

    def _item(
        self, o: PublicObjection, a: Application, community: str | None, evidence: EvidenceInfo | None
    ) -> ObjectionItem:
        stage = Stage(a.stage)
        return ObjectionItem(
            objection_id=o.objection_id,
            application_number=o.application_number,
            applicant_name_masked=mask_name(a.applicant_name),
            community_name=community or o.community_code,
            case_stage_label=STAGE_LABELS[stage],
            in_publicity=stage is Stage.PUBLICITY,
            text=self._pii.open(o.text_sealed),
            phone_masked=mask_phone(self._pii.open(o.phone_sealed)),
            submitted_at=o.submitted_at,
            status=o.status,
            evidence=evidence,
            decided_by=o.decided_by,
            decided_at=o.decided_at,
            dismiss_reason=o.dismiss_reason,
        )

    @staticmethod
    def may_decide(actor: Actor) -> bool:
        return actor.role in REVIEWER_ROLES

    async def _load_open(self, objection_id: str, actor: Actor) -> PublicObjection:
        if actor.role not in REVIEWER_ROLES:
            raise forbidden("处理群众异议须由" + "、".join(ROLE_LABELS[r] for r in REVIEWER_ROLES) + "办理")
        async with self._sessions() as session:
            row = await session.get(PublicObjection, objection_id)
        if row is None or not covers(actor.region_code, row.township_code):
            raise ApiError(404, "not_found", "未找到该异议")  # another township's: as if none
        if row.status != "open":
            raise self._already(row)
        return row

    @staticmethod
    def _already(row: PublicObjection) -> ApiError:
        at = row.decided_at
        # Beijing time, as every page shows it (SQLite hands the stored UTC instant back naive).
        when = (
            (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
            if at
            else ""
        )
        return ApiError(
            409, "objection_decided",
            f"该异议已由 {row.decided_by or '他人'} 于 {when} 处理：{STATUS_LABELS.get(row.status, row.status)}",
        )  # fmt: skip

    async def register(self, objection_id: str, actor: Actor, cases: CaseService) -> ApplicationOut:
        """Registers the objection on its case (the case's objection action), then closes it."""
        row = await self._load_open(objection_id, actor)
        target = Target.application(row.application_number)
        summary = "群众通过公示页面反映：" + self._pii.open(row.text_sealed)
        try:
            result = await cases.file_public_objection(
                row.application_number, summary[:2000], actor, row.objection_id
            )
        except ApiError as refusal:
            await self._trail.record(
                actor, "application.objection", target, status_code=refusal.status_code,
                detail={"code": refusal.code, "channel": "public_objection", "objection": objection_id},
            )  # fmt: skip
            raise
        closed = await self._close(row.objection_id, actor, "registered", None)
        detail = {"channel": "public_objection", "objection": objection_id, "stage": result.stage.value}
        await self._trail.record(actor, "application.objection", target, detail=detail)
        if closed:
            await self._trail.record(
                actor, "public_objection.registered",
                Target("public_objection", objection_id, row.application_number, row.community_code),
                detail={"channel": "web"},
            )  # fmt: skip
        return result

    async def dismiss(self, objection_id: str, reason: str, actor: Actor) -> None:
        """Records why the objection is not registered on the case; the item closes."""
        row = await self._load_open(objection_id, actor)
        target = Target("public_objection", objection_id, row.application_number, row.community_code)
        try:
            text = _Dismissal.model_validate({"reason": reason}).reason
        except ValidationError as invalid:
            raise ApiError(422, "validation_error", "提交的内容有误", errors=field_errors(invalid)) from None
        if not await self._close(objection_id, actor, "dismissed", text):
            async with self._sessions() as session:
                now = await session.get(PublicObjection, objection_id)
            assert now is not None
            await self._trail.record(actor, "public_objection.dismissed", target, status_code=409,
                                     detail={"code": "objection_decided"})  # fmt: skip
            raise self._already(now)
        await self._trail.record(actor, "public_objection.dismissed", target, detail={"channel": "web"})

    async def _close(self, objection_id: str, actor: Actor, status: str, reason: str | None) -> bool:
        """Open → decided, once: two reviewers deciding at once, one wins (the other gets 409)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PublicObjection)
                .where(PublicObjection.objection_id == objection_id, PublicObjection.status == "open")
                .values(
                    status=status, decided_by=actor.username, decided_at=self._now(), dismiss_reason=reason
                )
            )
        return bool(getattr(result, "rowcount", 0))

    async def contact(self, objection_id: str, actor: Actor) -> str:
        """The objector's full phone, for the reviewer who must reach them (SPEC: "with a
        reachable contact"); recorded before it is shown (no audit entry, no number)."""
        if actor.role not in REVIEWER_ROLES:
            raise forbidden(
                "查看异议人联系电话须由" + "、".join(ROLE_LABELS[r] for r in REVIEWER_ROLES) + "办理"
            )
        async with self._sessions() as session:
            row = await session.get(PublicObjection, objection_id)
        if row is None or row.status == "pending" or not covers(actor.region_code, row.township_code):
            raise ApiError(404, "not_found", "未找到该异议")
        target = Target("public_objection", objection_id, row.application_number, row.community_code)
        await self._trail.record(actor, "public_objection.contact_read", target, required=True)
        return self._pii.open(row.phone_sealed)

    async def evidence(self, objection_id: str, actor: Actor) -> tuple[str, bytes]:
        """The evidence file for the reviewer of the case's township (audited); never public."""
        if actor.role not in QUEUE_ROLES:
            raise forbidden("群众异议仅限乡镇审核人员、乡镇（街道）负责人和监督人员查看")
        async with self._sessions() as session:
            row = await session.get(PublicObjection, objection_id)
            file = await session.get(PublicObjectionEvidence, objection_id) if row else None
        if row is None or file is None or not covers(actor.region_code, row.township_code):
            raise ApiError(404, "not_found", "未找到该证据文件")
        target = Target("public_objection", objection_id, row.application_number, row.community_code)
        await self._trail.record(actor, "public_objection.evidence_read", target, required=True)
        data = base64.b64decode(self._pii.open(file.content_sealed))
        if hashlib.sha256(data).hexdigest() != file.sha256:  # pragma: no cover - AES-GCM authenticates it
            raise ApiError(500, "evidence_corrupt", "证据文件校验失败")
        return file.content_type, data
