"""Fault injection per department: latency, error rate, down for hours, malformed data."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from domain.departments import Department
from simulators.departments import FaultBook, Population, create_app
from simulators.departments.faults import FOREIGN_ID_NUMBER
from tests.simulators.conftest import FakeClock, ask, fresh_id, plant
from tests.simulators.server import serve

STRANGER = "11010519491231002X"


async def _statuses(sim: httpx.AsyncClient, n: int) -> list[int]:
    return [(await ask(sim, Department.TAX, [STRANGER])).status_code for _ in range(n)]


async def test_latency_delays_only_the_faulty_department(sim: httpx.AsyncClient) -> None:
    await sim.post("/admin/faults", json={"department": "tax", "latency_ms": 300})
    started = time.monotonic()
    assert (await ask(sim, Department.TAX, [STRANGER])).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert (await ask(sim, Department.VEHICLES, [STRANGER])).status_code == 200
    assert time.monotonic() - started < 0.3


async def test_error_rate_one_fails_every_request_with_500_or_503(sim: httpx.AsyncClient) -> None:
    await sim.post("/admin/faults", json={"department": "tax", "error_rate": 1.0})
    responses = [await ask(sim, Department.TAX, [STRANGER]) for _ in range(12)]
    assert {r.status_code for r in responses} == {500, 503}
    assert {r.json()["code"] for r in responses} == {"5000", "5030"}


async def test_error_rate_is_repeatable_from_its_seed(sim: httpx.AsyncClient) -> None:
    fault = {"department": "tax", "error_rate": 0.5, "seed": 7}
    await sim.post("/admin/faults", json=fault)
    first = await _statuses(sim, 20)
    await sim.post("/admin/faults", json=fault)  # setting it again restarts the sequence
    assert await _statuses(sim, 20) == first
    assert {200, 500, 503} == set(first)
    await sim.post("/admin/faults", json={**fault, "seed": 8})
    assert await _statuses(sim, 20) != first


async def test_down_for_hours_then_up_again(sim: httpx.AsyncClient, clock: FakeClock) -> None:
    await sim.post("/admin/faults", json={"department": "real_estate", "down_for_seconds": 2 * 3600})
    down = await ask(sim, Department.REAL_ESTATE, [STRANGER])
    assert down.status_code == 503 and down.json()["code"] == "5030"
    clock.advance(hours=1)
    assert (await ask(sim, Department.REAL_ESTATE, [STRANGER])).status_code == 503
    assert (await ask(sim, Department.TAX, [STRANGER])).status_code == 200  # the others are up
    clock.advance(hours=1, seconds=1)
    assert (await ask(sim, Department.REAL_ESTATE, [STRANGER])).status_code == 200


async def test_down_until_an_absolute_time(sim: httpx.AsyncClient, clock: FakeClock) -> None:
    await sim.post("/admin/faults", json={"department": "tax", "down_until": "2026-11-22T12:00:00+08:00"})
    assert (await ask(sim, Department.TAX, [STRANGER])).status_code == 503  # 10:00 China time
    clock.advance(hours=2)
    assert (await ask(sim, Department.TAX, [STRANGER])).status_code == 200


async def test_drop_mode_closes_the_connection_mid_answer(population: Population, faults: FaultBook) -> None:
    with serve(create_app(population, faults)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            await client.post(
                "/admin/faults", json={"department": "tax", "down_for_seconds": 60, "down_mode": "drop"}
            )
            # Headers then EOF, or a reset when the unread request is still in the socket: both are
            # what a client sees of a dropped connection.
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await ask(client, Department.TAX, [STRANGER])
            assert (await ask(client, Department.VEHICLES, [STRANGER])).status_code == 200


@pytest.mark.parametrize("with_records", [True, False], ids=["records", "empty-answer"])
@pytest.mark.parametrize(
    "kind",
    ["wrong_type", "negative_amount", "impossible_date", "future_date", "missing_field", "foreign_person"],
)
async def test_bad_data_corrupts_the_first_record(
    sim: httpx.AsyncClient, kind: str, with_records: bool
) -> None:
    person = fresh_id(401)
    incomes = [{"month": "2026-10", "source": "salary", "amount_fen": 250000}] if with_records else []
    await plant(sim, {"id_number": person, "incomes": incomes})
    await sim.post("/admin/faults", json={"department": "tax", "bad_data": kind})
    body = (await ask(sim, Department.TAX, [person])).json()
    assert body["code"] == "0000"
    entry = body["data"]["persons"][0]
    record = entry["incomes"][0]
    if kind == "wrong_type":
        assert isinstance(record["amount"], float)
    elif kind == "negative_amount":
        assert record["amount"].startswith("-")
    elif kind == "impossible_date":
        assert record["period"] == "2026-13"
    elif kind == "future_date":
        assert record["period"] > "2026-11"
    elif kind == "missing_field":
        assert "amount" not in record
    else:
        assert entry["id_number"] == FOREIGN_ID_NUMBER


@pytest.mark.parametrize("department", list(Department))
async def test_bad_dates_in_every_department(sim: httpx.AsyncClient, department: Department) -> None:
    await sim.post("/admin/faults", json={"department": department.value, "bad_data": "impossible_date"})
    text = (await ask(sim, department, [STRANGER])).text
    assert "2026-02-30" in text or "2026-13" in text or "202613" in text


async def test_not_json(sim: httpx.AsyncClient) -> None:
    await sim.post("/admin/faults", json={"department": "deposits", "bad_data": "not_json"})
    response = await ask(sim, Department.DEPOSITS, [STRANGER])
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_faults_are_listed_replaced_and_cleared_per_department(sim: httpx.AsyncClient) -> None:
    assert (await sim.get("/admin/faults")).json() == {}
    await sim.post("/admin/faults", json={"department": "tax", "latency_ms": 5, "error_rate": 0.1})
    await sim.post("/admin/faults", json={"department": "tax", "bad_data": "not_json"})  # replaces
    listed = (await sim.get("/admin/faults")).json()
    assert set(listed) == {"tax"}
    assert listed["tax"]["bad_data"] == "not_json" and listed["tax"]["latency_ms"] == 0
    await sim.post("/admin/faults", json={"error_rate": 0.2})  # no department: all of them
    assert set((await sim.get("/admin/faults")).json()) == {d.value for d in Department}
    assert set((await sim.delete("/admin/faults", params={"department": "tax"})).json()) == (
        {d.value for d in Department} - {"tax"}
    )
    assert (await sim.delete("/admin/faults")).json() == {}


@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 1.5},
        {"latency_ms": -1},
        {"down_until": "2026-11-22T12:00:00"},  # no time zone: ambiguous
        {"bad_data": "gibberish"},
        {"department": "lottery"},
        {"unknown": 1},
    ],
)
async def test_fault_settings_are_validated(sim: httpx.AsyncClient, fault: dict[str, object]) -> None:
    assert (await sim.post("/admin/faults", json=fault)).status_code == 422
