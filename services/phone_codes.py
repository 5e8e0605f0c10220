"""SMS one-time codes (短信验证码) that prove a phone number: the portal's sign-in and the public
objection form's reachable contact (issue 14).

- A code has 6 digits, is valid for 5 minutes and is sent through the SMS gateway with template
  `verification_code`; each code is its own message (its own message_id), so a retried send of the
  same code is one SMS and a new code is a new one.
- At most 1 code a minute and 5 an hour per phone number (whatever the purpose: a number must not
  be flooded), and at most `ip_max_per_hour` codes an hour from one client address (one address
  must not flood many numbers). Refusals are 429 with the time to wait.
- The code is stored only as a keyed digest (HMAC, infra/pii.PiiVault.digest, salted with the
  message id), the phone only as its keyed digest (the same digest the applications table keeps
  for lookups, so the portal can match a proved phone to its cases).
- A code allows 5 tries; the 5th wrong one kills it (429 asks for a new code). A new code kills the
  earlier ones. A right code is used up by the first check that passes (single use), so two
  parallel checks cannot both pass. Every try is counted by one UPDATE … RETURNING before the
  comparison, so parallel guesses cannot overrun the limit (the login guard's lesson, issue 16).
- `purpose` separates the uses: a code sent for the portal's sign-in does not verify an objection.
- Every request, refusal and check leaves an audit entry with the masked phone only.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.masking import mask_phone
from infra.models import PhoneCode, PhoneCodeGate
from infra.models.types import UtcDateTime
from infra.pii import PiiVault
from infra.sms.base import SmsGateway, SmsMessage, SmsRejected, SmsUnavailable
from services.audit import AuditTrail, Clock, RequestContext, Target, Who, clean
from services.errors import ApiError

PURPOSES = {"portal_sign_in": "登录掌上办", "objection": "提交公示异议"}
TEMPLATE = "verification_code"
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class PhoneCodePolicy:
    valid: timedelta = timedelta(minutes=5)
    min_interval: timedelta = timedelta(minutes=1)
    max_per_hour: int = 5
    ip_max_per_hour: int = 20
    max_tries: int = 5


def normalize_mobile(raw: str) -> str:
    """An 11-digit mainland mobile number (full-width digits and blanks forgiven) or 422."""
    value = unicodedata.normalize("NFKC", raw or "").replace(" ", "").replace("-", "").strip()
    if not _MOBILE.fullmatch(value):
        raise _field_error("phone", "invalid_phone", "请输入正确的 11 位手机号码")
    return value


def _field_error(field: str, code: str, message: str, status: int = 422) -> ApiError:
    return ApiError(status, code, message, errors=[{"field": field, "type": code, "message": message}])


def _wait(until: datetime, now: datetime) -> tuple[int, str]:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    text = f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"
    return seconds, text


def _throttled(code: str, message: str, until: datetime, now: datetime) -> ApiError:
    seconds, text = _wait(until, now)
    refusal = _field_error("phone", code, message.format(wait=text), status=429)
    refusal.headers = {"Retry-After": str(seconds)}
    refusal.extra["retry_at"] = until.isoformat()
    return refusal


class PhoneCodeService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gateway: SmsGateway,
        clock: Clock,
        *,
        pii: PiiVault,
        policy: PhoneCodePolicy | None = None,
        user_agent: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._pii = pii
        self._policy = policy or PhoneCodePolicy()
        self._user_agent = user_agent

    async def request(self, phone: str, purpose: str, client_ip: str | None) -> None:
        """Send a new code to the phone, or ApiError 422 (bad number) / 429 (too soon, too many)
        / 503 (the SMS service did not answer: the code may still arrive)."""
        _check_purpose(purpose)
        phone = normalize_mobile(phone)
        now = self._clock()
        ip = clean(client_ip, 64) or "unknown"
        trail = self._trail(ip)
        target = Target("phone", mask_phone(phone))
        digest = self._pii.digest(phone)
        hour_ago = now - timedelta(hours=1)

        async with self._sessions() as session:
            ip_count, ip_oldest = (
                await session.execute(
                    select(func.count(), func.min(PhoneCode.created_at)).where(
                        PhoneCode.client_ip == ip, PhoneCode.created_at > hour_ago
                    )
                )
            ).one()
            hour_count, hour_oldest = (
                await session.execute(
                    select(func.count(), func.min(PhoneCode.created_at)).where(
                        PhoneCode.phone_digest == digest, PhoneCode.created_at > hour_ago
                    )
                )
            ).one()
        refusal: ApiError | None = None
        if int(ip_count) >= self._policy.ip_max_per_hour and ip_oldest is not None:
            refusal = _throttled(
                "code_ip_throttled",
                "当前网络获取验证码过于频繁，请 {wait}后再试",
                ip_oldest + timedelta(hours=1),
                now,
            )
        elif int(hour_count) >= self._policy.max_per_hour and hour_oldest is not None:
            refusal = _throttled(
                "code_hourly_limit",
                "该手机号一小时内获取验证码已达 5 次，请 {wait}后再试",
                hour_oldest + timedelta(hours=1),
                now,
            )
        else:
            last = await self._claim_minute(digest, now)
            if last is not None:
                refusal = _throttled(
                    "code_too_frequent",
                    "验证码已发送，1 分钟内只能获取一次，请 {wait}后再试",
                    last + self._policy.min_interval,
                    now,
                )
        if refusal is not None:
            await trail.record(
                Who(None),
                "phone_code.refused",
                target,
                status_code=refusal.status_code,
                detail={"purpose": purpose, "reason": refusal.code},
            )
            raise refusal

        code = f"{secrets.randbelow(1_000_000):06d}"
        message_id = f"vcode-{secrets.token_hex(12)}"
        async with self._sessions.begin() as session:
            # A new code replaces the earlier ones of the same number and purpose.
            await session.execute(
                update(PhoneCode)
                .where(
                    PhoneCode.phone_digest == digest,
                    PhoneCode.purpose == purpose,
                    PhoneCode.status == "live",
                )
                .values(status="replaced")
            )
            session.add(
                PhoneCode(
                    phone_digest=digest,
                    purpose=purpose,
                    code_digest=self._code_digest(message_id, code),
                    message_id=message_id,
                    client_ip=ip,
                    created_at=now,
                    expires_at=now + self._policy.valid,
                    attempts=0,
                    status="live",
                )
            )
            # Codes older than a day are only history: keep the table small.
            await session.execute(delete(PhoneCode).where(PhoneCode.created_at < now - timedelta(days=1)))
        minutes = str(int(self._policy.valid.total_seconds() // 60))
        message = SmsMessage(message_id, phone, TEMPLATE, {"code": code, "minutes": minutes})
        detail = {"purpose": purpose, "message_id": message_id}
        try:
            try:
                await self._gateway.send(message)
            except SmsUnavailable:
                await self._gateway.send(message)  # the same message_id: at most one SMS
        except SmsRejected as exc:
            await self._kill(message_id)
            await trail.record(
                Who(None),
                "phone_code.refused",
                target,
                status_code=422,
                detail={**detail, "reason": "rejected"},
            )
            raise _field_error("phone", "phone_rejected", "该号码无法接收短信，请核对手机号码") from exc
        except SmsUnavailable as exc:
            await trail.record(
                Who(None),
                "phone_code.sent",
                target,
                status_code=503,
                detail={**detail, "reason": "unavailable"},
            )
            raise ApiError(
                503, "sms_unavailable", "短信服务暂时无法发送，如 1 分钟内未收到验证码，请重新获取"
            ) from exc
        await trail.record(Who(None), "phone_code.sent", target, detail=detail)

    async def verify(self, phone: str, purpose: str, code: str, client_ip: str | None = None) -> bool:
        """True when the code is the phone's live code for this purpose (it is then used up);
        otherwise ApiError 422 (wrong, expired, none) or 429 (too many tries: the code is dead)."""
        _check_purpose(purpose)
        phone = normalize_mobile(phone)
        now = self._clock()
        trail = self._trail(clean(client_ip, 64))
        target = Target("phone", mask_phone(phone))
        digest = self._pii.digest(phone)
        code = unicodedata.normalize("NFKC", code or "").strip()
        at = literal(now, UtcDateTime())
        live = and_(
            PhoneCode.phone_digest == digest,
            PhoneCode.purpose == purpose,
            PhoneCode.status == "live",
            PhoneCode.expires_at > at,
        )
        # Count the try first, in one statement: only tries up to the limit get a comparison.
        claim = (
            update(PhoneCode)
            .where(live, PhoneCode.attempts < self._policy.max_tries)
            .values(attempts=PhoneCode.attempts + 1)
            .returning(PhoneCode.id, PhoneCode.attempts, PhoneCode.code_digest, PhoneCode.message_id)
        )
        async with self._sessions.begin() as session:
            claimed = (await session.execute(claim)).first()
            exhausted = False
            if claimed is None:
                exhausted = bool(
                    await session.scalar(
                        select(func.count()).where(live, PhoneCode.attempts >= self._policy.max_tries)
                    )
                )

        async def refuse(refusal: ApiError, reason: str, **extra: object) -> ApiError:
            await trail.record(
                Who(None),
                "phone_code.failed",
                target,
                status_code=refusal.status_code,
                detail={"purpose": purpose, "reason": reason, **extra},
            )
            return refusal

        if claimed is None:
            if exhausted:
                raise await refuse(_dead(), "attempts_exceeded")
            raise await refuse(
                _field_error("code", "code_expired", "验证码已过期或尚未获取，请重新获取验证码"), "expired"
            )
        row_id, tries, stored, message_id = claimed
        given = self._code_digest(message_id, code) if _CODE.fullmatch(code) else ""
        if given and hmac.compare_digest(given, stored):
            async with self._sessions.begin() as session:
                used = await session.execute(
                    update(PhoneCode).where(PhoneCode.id == row_id, live).values(status="used", used_at=now)
                )
            if used.rowcount:  # type: ignore[attr-defined]
                await trail.record(
                    Who(None), "phone_code.verified", target, detail={"purpose": purpose, "tries": tries}
                )
                return True
            raise await refuse(
                _field_error("code", "code_expired", "验证码已使用或已过期，请重新获取验证码"), "used"
            )
        left = self._policy.max_tries - tries
        if left <= 0:  # attempts == max_tries: no later try gets a comparison (the claim above)
            raise await refuse(_dead(), "attempts_exceeded", tries=tries)
        raise await refuse(
            _field_error("code", "code_invalid", f"验证码不正确，还可以再试 {left} 次"),
            "wrong_code",
            tries=tries,
        )

    async def _claim_minute(self, digest: str, now: datetime) -> datetime | None:
        """Take the number's one-a-minute slot: None when taken by this call, otherwise the time of
        the code that holds it. One UPDATE (or the first INSERT), so two parallel requests cannot
        both pass."""
        at = literal(now, UtcDateTime())
        take = (
            update(PhoneCodeGate)
            .where(
                PhoneCodeGate.phone_digest == digest,
                PhoneCodeGate.last_sent_at <= literal(now - self._policy.min_interval, UtcDateTime()),
            )
            .values(last_sent_at=at)
        )
        async with self._sessions.begin() as session:
            if (await session.execute(take)).rowcount:  # type: ignore[attr-defined]
                return None
            last = await session.scalar(
                select(PhoneCodeGate.last_sent_at).where(PhoneCodeGate.phone_digest == digest)
            )
            if last is None:
                try:
                    async with session.begin_nested():
                        session.add(PhoneCodeGate(phone_digest=digest, last_sent_at=now))
                    return None
                except IntegrityError:
                    last = await session.scalar(
                        select(PhoneCodeGate.last_sent_at).where(PhoneCodeGate.phone_digest == digest)
                    )
            if last is not None and last > now:  # a clock that went back: hold from now
                last = now
            return last or now

    async def _kill(self, message_id: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(PhoneCode).where(PhoneCode.message_id == message_id).values(status="dead")
            )

    def _code_digest(self, message_id: str, code: str) -> str:
        return self._pii.digest(f"phone-code:{message_id}:{code}")

    def _trail(self, client_ip: str | None) -> AuditTrail:
        return AuditTrail(
            self._sessions, self._clock, RequestContext(client_ip, clean(self._user_agent, 200))
        )


def _dead() -> ApiError:
    return _field_error(
        "code", "code_attempts_exceeded", "验证码错误次数过多，该验证码已失效，请重新获取验证码", status=429
    )


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown phone-code purpose {purpose!r}")
