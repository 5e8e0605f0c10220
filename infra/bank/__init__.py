"""Bank disbursement (代发) gateway: the contract and its HTTP implementation."""

from infra.bank.base import BankBatchUnknown, BankGateway, BankRejected, BankUnavailable
from infra.bank.http import HttpBankGateway, make_bank_gateway, make_bank_http_client

__all__ = [
    "BankBatchUnknown",
    "BankGateway",
    "BankRejected",
    "BankUnavailable",
    "HttpBankGateway",
    "make_bank_gateway",
    "make_bank_http_client",
]
