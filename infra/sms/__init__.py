"""SMS gateway (短信): the contract and its HTTP implementation."""

from infra.sms.base import SmsGateway, SmsMessage, SmsRejected, SmsUnavailable
from infra.sms.http import HttpSmsGateway, sms_gateway_from_settings

__all__ = [
    "HttpSmsGateway",
    "SmsGateway",
    "SmsMessage",
    "SmsRejected",
    "SmsUnavailable",
    "sms_gateway_from_settings",
]
