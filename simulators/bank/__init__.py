"""Bank disbursement (代发) simulator: takes our 代发 files, pays or fails each line, answers the
result file (回盘), and keeps a ledger of every credit so tests can prove nothing was paid twice.

`create_bank_app(state)` builds the HTTP service; `python -m simulators.bank` runs it.
"""

from simulators.bank.app import DEFAULT_API_KEY_HEADER, DEV_API_KEY, create_bank_app
from simulators.bank.faults import FaultBook, FaultRequest
from simulators.bank.state import DEV_PAYER_ACCOUNT, Account, BankState, BatchConflict, Credit

__all__ = [
    "DEFAULT_API_KEY_HEADER",
    "DEV_API_KEY",
    "DEV_PAYER_ACCOUNT",
    "Account",
    "BankState",
    "BatchConflict",
    "Credit",
    "FaultBook",
    "FaultRequest",
    "create_bank_app",
]
