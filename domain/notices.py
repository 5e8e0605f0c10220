"""Notices to applicants by SMS (短信告知): what the workflows hand the notice activities, and the
wording helpers the templates' parameters use. The phone never travels in a workflow's history:
the activity reads it, sealed, from the application."""

from __future__ import annotations

from dataclasses import dataclass, field

# Every workflow change that sends notices is behind this patch id.
SMS_PATCH = "applicant-sms-v1"

# NoticeResult.outcome
SENT = "sent"  # the provider took it; delivery pending
OPTED_OUT = "opted_out"  # a payment message the household declined
NO_PHONE = "no_phone"
REFUSED = "refused"  # the provider or our own check refused it: no retry helps
UNDELIVERED = "undelivered"  # taken, but the provider's report says it did not reach the phone
DISABLED = "disabled"  # no SMS gateway configured on this worker

TEMPLATE_LABELS: dict[str, str] = {
    "application_accepted": "受理通知",
    "materials_missing": "一次性告知（补充材料）",
    "stage_investigation": "入户调查通知",
    "stage_publicity": "公示通知",
    "stage_approval": "报县审批通知",
    "approved": "审批通过通知",
    "approved_once": "审批通过通知",
    "refused": "不予批准告知",
    "payment_credited": "救助金到账通知",
    "rereview_appointment": "复核预约通知",
    "exit_notice": "退出告知",
    "fraud_stop": "停发通知",
    "verification_code": "验证码",
}


@dataclass
class NoticeInput:
    message_id: str  # the business key: "<application_number>:accepted"
    application_number: str
    template: str
    params: dict[str, str] = field(default_factory=dict)
    payment: bool = False  # a payment message: the household's opt-out applies


@dataclass
class NoticeResult:
    message_id: str
    outcome: str
    text: str = ""  # what the family reads (masked data only)
    detail: str = ""  # why not sent, in Chinese


@dataclass
class DeliveryInput:
    message_id: str


@dataclass
class PayrollNoticesInput:
    run_id: int


@dataclass
class PayrollNoticesResult:
    sent: int = 0
    opted_out: int = 0
    not_sent: int = 0  # no phone, refused
    unavailable: list[str] = field(default_factory=list)  # application numbers the provider never took


def yuan(fen: int) -> str:
    """123456 → "1234.56" (the templates say 元 themselves)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def month_words(month: str) -> str:
    """ "2026-12" → "2026年12月"."""
    year, _, mon = month.partition("-")
    return f"{year}年{int(mon)}月"


def date_words(iso_day: str) -> str:
    """ "2026-12-05" → "2026年12月5日"."""
    year, mon, day = iso_day[:10].split("-")
    return f"{year}年{int(mon)}月{int(day)}日"
