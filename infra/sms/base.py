"""The SMS gateway contract (shared by the notices, the applicant portal's sign-in codes and the
public objections' phone check; see /work/notes/SMS_CONTRACT.md), and its two failures.

- `SmsUnavailable`: no answer, HTTP 5xx or 429. Whether the provider took the message is unknown:
  the caller retries *the same message_id*, which the provider answers with the same receipt and
  never sends again.
- `SmsRejected`: bad number, unknown template, a parameter refused, our key refused, the message_id
  reused for another message. Retrying the same request cannot succeed.
Messages name message ids only, never phones or texts: they travel into workflow history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

DeliveryStatus = Literal["pending", "delivered", "failed"]
DELIVERY_STATUSES: frozenset[str] = frozenset({"pending", "delivered", "failed"})


@dataclass(frozen=True)
class SmsMessage:
    # The business key and the idempotency key: "<application_number>:accepted", say. One event,
    # one message: sending the same key again sends nothing.
    message_id: str
    phone: str  # 11 digits
    template: str  # a code of domain.sms_templates.TEMPLATES
    params: dict[str, str] = field(default_factory=dict)


class SmsUnavailable(Exception):
    """The provider did not answer usefully; retry with the same message_id."""


class SmsRejected(Exception):
    """The provider refused the message; retrying it unchanged will not help."""


class SmsGateway(Protocol):
    async def send(self, message: SmsMessage) -> str:
        """The provider's receipt id. Idempotent by message_id: the same message sent again
        returns the same receipt and sends nothing again."""
        ...

    async def delivery(self, message_id: str) -> str:
        """The delivery report: "pending" | "delivered" | "failed"."""
        ...
