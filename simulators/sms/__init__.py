"""SMS provider (短信平台) simulator: takes template messages with an API key, answers a receipt and
a delivery report, and shows every message sent (sign-in codes included) on its admin API.

`create_sms_app(state)` builds the HTTP service; `python -m simulators.sms` runs it.
"""

from simulators.sms.app import DEFAULT_API_KEY_HEADER, DEV_API_KEY, create_sms_app
from simulators.sms.faults import FaultBook, FaultRequest
from simulators.sms.state import MessageConflict, Sent, SmsState

__all__ = [
    "DEFAULT_API_KEY_HEADER",
    "DEV_API_KEY",
    "FaultBook",
    "FaultRequest",
    "MessageConflict",
    "Sent",
    "SmsState",
    "create_sms_app",
]
