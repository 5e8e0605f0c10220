"""The household's payment-SMS choice and the SMS a case has sent."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PaymentSmsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opt_out: bool = Field(description="true：该户不再接收救助金到账短信（法定告知短信照常发送）")


class SmsOut(BaseModel):
    message_id: str
    template: str
    text: str
    status: str = Field(
        description="sent | delivered | failed | opted_out | no_phone | refused | unavailable"
    )
    detail: str
    created_at: datetime


class ApplicantSmsOut(BaseModel):
    application_number: str
    payment_sms_opt_out: bool
    messages: list[SmsOut] = Field(default_factory=list)
