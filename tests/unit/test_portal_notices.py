"""What the family reads among a case's timeline entries in the portal (issue 14): decisions,
notices and the SMS sent to them; never the staff's own entries (an SMS that failed, with its
instruction to staff, a task reminder, an investigator's note)."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.models import CaseEvent
from services.portal import family_notices


def event(kind: str, summary: str) -> CaseEvent:
    return CaseEvent(
        application_number="A-1", seq=1, at=datetime(2026, 12, 1, tzinfo=UTC), kind=kind, stage="intake",
        summary=summary, data={},
    )  # fmt: skip


def test_the_family_sees_notices_and_sent_sms_but_not_staff_entries() -> None:
    events = [
        event("materials_notice", "一次性告知：请一次性补齐以下材料：户口簿"),
        event("sms_sent", "已发短信通知申请人（受理）：您的城乡低保申请已受理"),
        event("sms_failed", "短信发送失败（受理）：号码停机。请电话或书面告知申请人"),
        event("sms_undelivered", "短信未能送达申请人（回执：未送达）"),
        event("reminder", "待办即将超期"),
        event("opinion", "乡镇初审意见：同意"),
        event("rejected", "不予批准。理由：家庭人均收入高于低保标准"),
    ]
    assert [n.text for n in family_notices(events)] == [
        "一次性告知：请一次性补齐以下材料：户口簿",
        "已发短信通知申请人（受理）：您的城乡低保申请已受理",
        "不予批准。理由：家庭人均收入高于低保标准",
    ]
