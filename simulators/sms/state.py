"""What the simulated SMS provider holds: every message taken, its delivery, the failing phones.

One `threading.Lock` (not an asyncio lock): the server runs on its own event loop (in a thread, in
tests) while a test inspects or resets the same state from its own thread.

Delivery is lazy, like the bank's batches: a message is "pending" until `delivery_seconds` have
passed since it was taken, then "delivered" — or "failed" when its phone was marked as failing
when it was sent (switched off, out of service). No background task, so no timing races.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from simulators.sms.faults import FaultBook


class MessageConflict(Exception):
    """The message id is known with another phone, template or parameters."""


@dataclass(slots=True)
class Sent:
    message_id: str
    phone: str
    template: str
    params: dict[str, str]
    text: str
    receipt: str
    sent_at: datetime
    taken_at: float  # the state's clock
    will_fail: bool
    status: str = "pending"

    def view(self) -> dict[str, str]:
        """As the admin API shows it (the contract's fields)."""
        return {
            "message_id": self.message_id,
            "phone": self.phone,
            "template": self.template,
            "text": self.text,
            "status": self.status,
            "sent_at": self.sent_at.isoformat(),
        }


@dataclass
class SmsState:
    delivery_seconds: float = 0.0
    clock: Callable[[], float] = time.monotonic
    faults: FaultBook = field(default_factory=FaultBook)
    messages: dict[str, Sent] = field(default_factory=dict)
    failing_phones: set[str] = field(default_factory=set)
    _order: list[str] = field(default_factory=list)  # message ids, oldest first
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _receipts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._default_delivery_seconds = self.delivery_seconds

    # --- the provider's side of the interface ---------------------------------------------

    def send(self, message_id: str, phone: str, template: str, params: dict[str, str], text: str) -> str:
        """The receipt. A message id seen before with the same content answers the same receipt
        and sends nothing; with other content it is a conflict."""
        with self._lock:
            known = self.messages.get(message_id)
            if known is not None:
                if (known.phone, known.template, known.params) != (phone, template, params):
                    raise MessageConflict(message_id)
                return known.receipt
            receipt = f"SM{next(self._receipts):012d}"
            self.messages[message_id] = Sent(
                message_id,
                phone,
                template,
                dict(params),
                text,
                receipt,
                datetime.now(UTC),
                self.clock(),
                phone in self.failing_phones,
            )
            self._order.append(message_id)
            return receipt

    def report(self, message_id: str) -> str | None:
        with self._lock:
            self._settle()
            sent = self.messages.get(message_id)
            return None if sent is None else sent.status

    # --- admin ----------------------------------------------------------------------------

    def sent_to(self, phone: str | None = None) -> list[dict[str, str]]:
        """Messages taken, newest first (one phone's, or everyone's)."""
        with self._lock:
            self._settle()
            chosen = (self.messages[m] for m in reversed(self._order))
            return [s.view() for s in chosen if phone is None or s.phone == phone]

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def fail_delivery(self, phones: list[str]) -> None:
        with self._lock:
            self.failing_phones.update(phones)

    def deliver_again(self, phones: list[str] | None = None) -> None:
        """These phones (or all) receive messages again, from the next one sent."""
        with self._lock:
            if phones is None:
                self.failing_phones.clear()
            else:
                self.failing_phones.difference_update(phones)

    def set_delivery_seconds(self, seconds: float | None) -> None:
        with self._lock:
            self.delivery_seconds = self._default_delivery_seconds if seconds is None else seconds

    def reset(self) -> None:
        """Forget everything but the configuration: messages, failing phones, faults."""
        self.faults.clear()
        with self._lock:
            self.messages.clear()
            self._order.clear()
            self.failing_phones.clear()
            self.delivery_seconds = self._default_delivery_seconds

    def _settle(self) -> None:
        now = self.clock()
        for sent in self.messages.values():
            if sent.status == "pending" and now - sent.taken_at >= self.delivery_seconds:
                sent.status = "failed" if sent.will_fail else "delivered"
