"""Fault injection for the simulated SMS provider: the next N requests of an endpoint get 503, 500
or 429, or are slow; and the provider can be taken down altogether (every call 503 until it is up).

A slow `send`, by default, takes the message first and then keeps the caller waiting: the answer is
lost, not the message — the case that tests whether a retry could send it twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Endpoint = Literal["send", "report"]


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["unavailable", "error", "rate_limited", "slow"]
    times: int = Field(default=1, ge=1, le=10_000)
    endpoint: Endpoint | None = None  # None: whichever is called next
    # How long a "slow" answer keeps the caller waiting: longer than the client's timeout.
    sleep_seconds: float = Field(default=30.0, gt=0, le=600)
    # send only: take the message first, then go slow (True), or go slow without taking it.
    after_processing: bool = True


@dataclass
class Fault:
    spec: FaultRequest
    remaining: int


@dataclass
class FaultBook:
    down: bool = False
    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, spec: FaultRequest) -> None:
        with self._lock:
            self._faults.append(Fault(spec, spec.times))

    def draw(self, endpoint: Endpoint) -> FaultRequest | None:
        """The fault this request suffers, if any (each counts down one of its `times`)."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.spec.endpoint in (None, endpoint):
                    fault.remaining -= 1
                    spec = fault.spec
                    self._faults = [f for f in self._faults if f.remaining > 0]
                    return spec
            return None

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [{**f.spec.model_dump(), "remaining": f.remaining} for f in self._faults]

    def clear(self) -> None:
        """No fault left, and the provider up again."""
        with self._lock:
            self._faults.clear()
            self.down = False
