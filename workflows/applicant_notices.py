"""Notices to the applicant by SMS, for the case workflows (application and lifecycle): send one
with retries, put it on the timeline, and — when it cannot be sent — tell the township's staff
("短信发送失败" on the timeline and in their notices) so that they reach the family another way.

Deterministic workflow code only; the phone is read by the activity, never carried here.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.notices import NoticeActivities
    from domain.notices import (
        NO_PHONE,
        REFUSED,
        SENT,
        TEMPLATE_LABELS,
        UNDELIVERED,
        DeliveryInput,
        NoticeInput,
        NoticeResult,
    )
    from domain.staff import Role

SMS_TIMEOUT = timedelta(seconds=30)
# A provider outage is waited out for a while (10 s, 20 s, 40 s, 80 s, 160 s: about five minutes),
# then staff are told: a notice that matters must not wait hours unseen.
SMS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=6,
)
# The delivery report: asked again and again (5 s doubling, at most every 30 minutes) for about a
# day; a message still pending then counts as not delivered.
DELIVERY_POLL = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=56,
)


class ApplicantNotices:
    """Mixed into a workflow that has `_event(kind, summary, actor=None, **data)` and
    `_notify(key, kind, role, region, message)`."""

    def _notice_case(self) -> tuple[str, str]:
        """(application number, township code) of the case."""
        raise NotImplementedError

    async def _event(self, kind: str, summary: str, actor: Any = None, **data: Any) -> None:
        raise NotImplementedError

    async def _notify(self, key: str, kind: str, role: Role, region: str, message: str) -> None:
        raise NotImplementedError

    def _tell(self, key: str, template: str, params: dict[str, str]) -> None:
        """Send beside the case, not in its way: a provider outage waited out (minutes) must not
        hold up a home visit or a hand-over. `_notices_sent()` awaits them before the run ends."""
        jobs: list[asyncio.Task[NoticeResult | None]] = self.__dict__.setdefault("_notice_jobs", [])
        jobs.append(asyncio.create_task(self._sms(key, template, params)))

    async def _notices_sent(self) -> None:
        jobs: list[asyncio.Task[NoticeResult | None]] = self.__dict__.get("_notice_jobs", [])
        if jobs:
            await asyncio.gather(*jobs)

    async def _sms(
        self, key: str, template: str, params: dict[str, str], *, payment: bool = False
    ) -> NoticeResult | None:
        """Send `<application number>:<key>` once; None when it could not be sent at all."""
        number, _ = self._notice_case()
        notice = NoticeInput(f"{number}:{key}", number, template, params, payment)
        label = TEMPLATE_LABELS.get(template, template)
        try:
            result: NoticeResult = await workflow.execute_activity_method(
                NoticeActivities.send_notice,
                notice,
                start_to_close_timeout=SMS_TIMEOUT,
                retry_policy=SMS_RETRY,
            )
        except ActivityError:
            await self._sms_failed(notice, "短信平台多次重试仍不可用")
            return None
        if result.outcome == SENT:
            await self._event(
                "sms_sent", f"已发短信通知申请人（{label}）：{result.text}", message_id=notice.message_id,
                template=template,
            )  # fmt: skip
        elif result.outcome in (NO_PHONE, REFUSED, UNDELIVERED):
            await self._sms_failed(notice, result.detail)
            return None
        return result

    async def _sms_delivered(self, message_id: str) -> bool:
        """Whether the provider reports the message delivered to the phone."""
        try:
            status: str = await workflow.execute_activity_method(
                NoticeActivities.check_delivery, DeliveryInput(message_id), start_to_close_timeout=SMS_TIMEOUT,
                retry_policy=DELIVERY_POLL,
            )  # fmt: skip
        except ActivityError:
            status = "unknown"
        if status != "delivered":
            await self._event(
                "sms_undelivered", "短信未能送达申请人（回执：" + ("未送达" if status == "failed" else "无回执") + "）",
                message_id=message_id,
            )  # fmt: skip
        return status == "delivered"

    async def _sms_failed(self, notice: NoticeInput, why: str) -> None:
        number, township = self._notice_case()
        label = TEMPLATE_LABELS.get(notice.template, notice.template)
        await self._event(
            "sms_failed", f"短信发送失败（{label}）：{why}。请电话或书面告知申请人",
            message_id=notice.message_id, template=notice.template,
        )  # fmt: skip
        await self._notify(
            f"sms-failed:{notice.message_id.removeprefix(number + ':')}", "sms_failed", Role.TOWNSHIP_REVIEWER,
            township, f"案件{number}的{label}短信发送失败（{why}），请电话或书面告知申请人",
        )  # fmt: skip
