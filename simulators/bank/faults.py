"""Fault injection for the simulated bank: the next N requests of an endpoint time out, get 503, or
get a truncated answer.

A timeout on `submit` happens, by default, after the bank has taken the file: the answer is lost,
not the file — the case that tests whether a resubmission could pay twice. A truncated answer comes
after the work too: half a JSON receipt, or a result file cut after half its lines.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Endpoint = Literal["submit", "result"]


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["timeout", "unavailable", "truncated"]
    times: int = Field(default=1, ge=1, le=10_000)
    endpoint: Endpoint | None = None  # None: whichever of the two is called next
    # How long a "timeout" keeps the client waiting: longer than the client's timeout.
    sleep_seconds: float = Field(default=30.0, gt=0, le=600)
    # submit only: take the file first, then go silent (True), or go silent without taking it.
    after_processing: bool = True


@dataclass
class Fault:
    spec: FaultRequest
    remaining: int


@dataclass
class FaultBook:
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
        with self._lock:
            self._faults.clear()
