"""The department simulator in process (httpx.ASGITransport): no sockets, a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from domain.departments import Department
from simulators.departments import FaultBook, Population, create_app, dev_api_key

AS_OF = date(2026, 11, 22)
SEED = 2026


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def population() -> Population:
    # Fresh per test (planting changes it); 400 households take a few milliseconds.
    # Records end October 2026.
    return Population.generate(400, SEED, AS_OF)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def faults(clock: FakeClock) -> FaultBook:
    return FaultBook(clock)


@pytest_asyncio.fixture
async def sim(population: Population, faults: FaultBook) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(population, faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        yield client


def key(department: Department | str) -> dict[str, str]:
    return {"X-Api-Key": dev_api_key(Department(department))}


def query_body(id_numbers: list[str], months: int = 12, as_of: date = AS_OF) -> dict[str, Any]:
    return {"request_id": "req-1", "id_numbers": id_numbers, "months": months, "as_of": as_of.isoformat()}


async def ask(
    sim: httpx.AsyncClient, department: Department | str, id_numbers: list[str], **kwargs: Any
) -> httpx.Response:
    return await sim.post(
        f"/{Department(department).value}/v1/query",
        json=query_body(id_numbers, **kwargs),
        headers=key(department),
    )


def fresh_id(seq: int, birth: str = "19750505", region: str = "440106") -> str:
    """A valid ID number for a planted person (planting replaces anyone with the same number)."""
    from tests.factories import id_number

    return id_number(region=region, birth=birth, seq=seq)


async def plant(sim: httpx.AsyncClient, *members: dict[str, Any], county: str = "440106") -> dict[str, Any]:
    community = "440106001001" if county == "440106" else "440105001001"
    response = await sim.post(
        "/admin/households",
        json={"county_code": county, "community_code": community, "members": list(members)},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
