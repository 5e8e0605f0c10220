"""Notices to applicants by SMS: send one (idempotent by its business key), read its delivery
report, and tell a payroll month's paid households. Every message is recorded in sms_messages
with its status; the workflows put it on the case's timeline.

Retries: a provider that does not answer (SmsUnavailable) fails the attempt with a retryable
error, and the workflow's retry policy sends the SAME message_id again — the provider answers with
the same receipt and sends nothing twice. A refusal (bad number, a template's parameter refused)
is an outcome, not a failure: no retry could help, and the case goes on.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.enums import ASSISTANCE_TYPE_LABELS, AssistanceType
from domain.notices import (
    DISABLED,
    NO_PHONE,
    OPTED_OUT,
    REFUSED,
    SENT,
    UNDELIVERED,
    DeliveryInput,
    NoticeInput,
    NoticeResult,
    PayrollNoticesInput,
    PayrollNoticesResult,
    month_words,
    yuan,
)
from domain.sms_templates import SensitiveParam, TemplateError, render
from infra.models import Application, PayeeAccount, PaymentOrder, SmsRecord
from infra.pii import PiiVault
from infra.sms.base import SmsGateway, SmsMessage, SmsRejected, SmsUnavailable

SENT_QUERY_SLICE = 5000  # message ids per query of those already sent


def staff_reason(exc: Exception) -> str:
    """The adapter's reason as staff read it on the timeline: its Chinese part (the English after
    "/ " is for the operators' logs)."""
    return re.split(r"\s*/\s", str(exc), maxsplit=1)[0]


log = logging.getLogger(__name__)
SMS_UNAVAILABLE = "SmsUnavailable"
SMS_PENDING = "SmsPending"


class NoticeActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], gateway: SmsGateway | None, pii: PiiVault
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway  # None: no SMS on this worker (tests of other things): nothing sent
        self._pii = pii

    @activity.defn
    async def send_notice(self, input: NoticeInput) -> NoticeResult:
        if self._gateway is None:
            return NoticeResult(input.message_id, DISABLED, detail="未配置短信平台")
        async with self._sessions() as session:
            app = await session.scalar(
                select(Application).where(Application.application_number == input.application_number)
            )
        if app is None:
            return await self._record(input, NO_PHONE, "", detail="查无申请记录")
        if input.payment and app.payment_sms_opt_out:
            return await self._record(input, OPTED_OUT, "", detail="该户已选择不接收发放短信")
        try:
            text = render(input.template, input.params)
        except (SensitiveParam, TemplateError) as exc:
            # A bug in the caller, never the family's fault: recorded, shown to staff, not retried.
            return await self._record(input, REFUSED, "", detail=str(exc))
        phone = app.applicant_phone(self._pii)
        if not phone:
            return await self._record(input, NO_PHONE, text, detail="申请人未登记手机号")
        return await self._send(input, phone, text)

    async def _send(self, input: NoticeInput, phone: str, text: str, *, report: bool = True) -> NoticeResult:
        assert self._gateway is not None
        message = SmsMessage(input.message_id, phone, input.template, dict(input.params))
        try:
            receipt = await self._gateway.send(message)
        except SmsUnavailable as exc:
            await self._record(input, "unavailable", text, detail=str(exc))
            raise ApplicationError(f"短信平台暂不可用：{exc}", type=SMS_UNAVAILABLE) from None
        except SmsRejected as exc:
            return await self._record(input, REFUSED, text, detail=staff_reason(exc))
        sent = await self._record(input, SENT, text, receipt=receipt)
        if not report:
            return sent
        # The delivery report, once, at once (a provider reports within seconds): recorded when it
        # has one; "failed" is told to the workflow (staff reach the family another way). A report
        # still pending stays "sent" here; the refusal's delivery is polled by its workflow.
        try:
            status = await self._gateway.delivery(input.message_id)
        except (SmsUnavailable, SmsRejected):
            return sent
        if status in ("delivered", "failed"):
            await self._set_status(input.message_id, status)
        if status == "failed":
            return NoticeResult(input.message_id, UNDELIVERED, text, "短信未送达（运营商回执：发送失败）")
        return sent

    @activity.defn
    async def check_delivery(self, input: DeliveryInput) -> str:
        """ "delivered" or "failed"; while the report says "pending", a retryable failure (the
        workflow's retry policy is the poll)."""
        if self._gateway is None:
            return "failed"
        try:
            status = await self._gateway.delivery(input.message_id)
        except SmsUnavailable as exc:
            raise ApplicationError(f"短信回执暂不可取：{exc}", type=SMS_UNAVAILABLE) from None
        except SmsRejected:
            status = "failed"
        if status == "pending":
            raise ApplicationError("短信尚未送达", type=SMS_PENDING)
        await self._set_status(input.message_id, status)
        return status

    @activity.defn
    async def send_payroll_notices(self, input: PayrollNoticesInput) -> PayrollNoticesResult:
        """到账通知 to every household the run paid: `<order_key>:credited`, once each. Households
        the provider could not take are listed (the workflow tells finance); a retry of this
        activity sends nothing again to the others."""
        result = PayrollNoticesResult()
        if self._gateway is None:
            return result
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(PaymentOrder, Application, PayeeAccount.account_last4)
                    .join(Application, Application.application_number == PaymentOrder.application_number)
                    .outerjoin(
                        PayeeAccount, PayeeAccount.application_number == PaymentOrder.application_number
                    )
                    .where(PaymentOrder.run_id == input.run_id, PaymentOrder.status == "paid")
                    .order_by(PaymentOrder.id)
                )
            ).all()
            # Asked in slices: a county pays up to 100,000 households, and one IN list of them all
            # would pass the drivers' limit of bound parameters (32,767 in asyncpg and SQLite).
            ids = [f"{o.order_key}:credited" for o, _, _ in rows]
            done: set[str] = set()
            for start in range(0, len(ids), SENT_QUERY_SLICE):
                done.update(
                    (
                        await session.scalars(
                            select(SmsRecord.message_id).where(
                                SmsRecord.message_id.in_(ids[start : start + SENT_QUERY_SLICE]),
                                SmsRecord.status.not_in(["unavailable"]),
                            )
                        )
                    ).all()
                )
        for n, (order, app, last4) in enumerate(rows):
            if n % 100 == 0:
                activity.heartbeat(n)
            notice = NoticeInput(
                f"{order.order_key}:credited",
                order.application_number,
                "payment_credited",
                {
                    "month": month_words(order.month) if order.month else "本月",
                    "assistance": _label(order.assistance_type),
                    "amount": yuan(order.amount_fen),
                    "account_tail": last4 or "****",
                },
                payment=True,
            )
            if notice.message_id in done:
                result.sent += 1
                continue
            if app.payment_sms_opt_out:
                await self._record(notice, OPTED_OUT, "", detail="该户已选择不接收发放短信")
                result.opted_out += 1
                continue
            phone = app.applicant_phone(self._pii)
            if not phone:
                result.not_sent += 1
                continue
            try:
                # No report read per household: a month's tens of thousands of messages.
                outcome = await self._send(
                    notice, phone, render(notice.template, notice.params), report=False
                )
            except ApplicationError:
                result.unavailable.append(order.application_number)
                continue
            if outcome.outcome == SENT:
                result.sent += 1
            else:
                result.not_sent += 1
        if result.unavailable and activity.info().attempt < 3:
            # Try the ones the provider did not take again (the others are recorded as sent).
            raise ApplicationError(
                f"{len(result.unavailable)}户的到账短信未能发出，稍后重试", type=SMS_UNAVAILABLE
            )
        return result

    # -- records ---------------------------------------------------------------------------
    async def _record(
        self, input: NoticeInput, status: str, text: str, *, receipt: str | None = None, detail: str = ""
    ) -> NoticeResult:
        values: dict[str, Any] = {
            "application_number": input.application_number,
            "template": input.template,
            "text": text,
            "status": status,
            "receipt": receipt,
            "detail": detail[:500],
        }
        for _ in range(2):
            try:
                async with self._sessions.begin() as session:
                    row = await session.get(SmsRecord, input.message_id, with_for_update=True)
                    if row is None:
                        session.add(SmsRecord(message_id=input.message_id, **values))
                    elif row.status not in ("delivered", "failed") or status != SENT:
                        # A retry that sends again must not undo a delivery report already read.
                        for key, value in values.items():
                            setattr(row, key, value)
                break
            except IntegrityError:
                continue  # a concurrent attempt inserted it: update it instead
        outcome = status if status != "unavailable" else SENT
        return NoticeResult(input.message_id, outcome, text, detail)

    async def _set_status(self, message_id: str, status: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SmsRecord, message_id, with_for_update=True)
            if row is not None:
                row.status = status


def _label(assistance_type: str | None) -> str:
    try:
        return ASSISTANCE_TYPE_LABELS[AssistanceType(assistance_type or "")]
    except ValueError:
        return "社会救助"
