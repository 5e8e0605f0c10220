"""Admin API of the SMS simulator, for tests and demos: read the messages sent to a phone (the
portal's sign-in codes among them), make a phone's deliveries fail, take the provider down, inject
faults, slow delivery, reset. No authentication: the simulator is bound to the loopback interface."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from simulators.sms.faults import FaultRequest
from simulators.sms.state import SmsState

PHONE_PATTERN = r"^1\d{10}$"


class Phones(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phones: list[Annotated[str, Field(pattern=PHONE_PATTERN)]] = Field(min_length=1)


class Down(BaseModel):
    model_config = ConfigDict(extra="forbid")

    down: bool


class Delivery(BaseModel):
    seconds: float | None = Field(default=None, ge=0, le=86_400)  # None: back to the configured value


def admin_router(state: SmsState) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["模拟器管理"])

    @router.get("/messages")
    async def messages(
        phone: Annotated[str | None, Query(pattern=PHONE_PATTERN)] = None,
    ) -> list[dict[str, str]]:
        """Newest first: {message_id, phone, template, text, status, sent_at}."""
        return state.sent_to(phone)

    @router.post("/failing-phones", status_code=201)
    async def fail_delivery(body: Phones) -> dict[str, list[str]]:
        state.fail_delivery(body.phones)
        return {"failing_phones": sorted(state.failing_phones)}

    @router.delete("/failing-phones")
    async def deliver_again() -> dict[str, list[str]]:
        state.deliver_again()
        return {"failing_phones": []}

    @router.put("/down")
    async def set_down(body: Down) -> dict[str, bool]:
        state.faults.down = body.down
        return {"down": state.faults.down}

    @router.get("/faults")
    async def get_faults() -> list[dict[str, object]]:
        return state.faults.pending()

    @router.post("/faults")
    async def add_fault(body: FaultRequest) -> list[dict[str, object]]:
        state.faults.add(body)
        return state.faults.pending()

    @router.delete("/faults")
    async def clear_faults() -> list[dict[str, object]]:
        state.faults.clear()
        return []

    @router.put("/delivery")
    async def set_delivery(body: Delivery) -> dict[str, float]:
        state.set_delivery_seconds(body.seconds)
        return {"seconds": state.delivery_seconds}

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    return router
