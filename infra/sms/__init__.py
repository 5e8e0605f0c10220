"""SMS gateway (短信): the contract and its HTTP implementation."""

from infra.sms.base import SmsGateway, SmsMessage, SmsRejected, SmsUnavailable

__all__ = ["SmsGateway", "SmsMessage", "SmsRejected", "SmsUnavailable"]
