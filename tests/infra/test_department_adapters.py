"""The department adapters against the simulator served for real (uvicorn on a loopback port):
answers mapped onto member indexes, and every failure mapped onto the contract's exceptions."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio

from domain.departments import (
    Asset,
    Department,
    DepartmentBadData,
    DepartmentResult,
    DepartmentUnavailable,
    MedicalBill,
    MonthlyIncome,
)
from infra.departments import DepartmentCredentialsRejected, make_department_adapters
from infra.settings import Settings, load_settings
from simulators.departments import FaultBook, Population, create_app
from tests.simulators.conftest import AS_OF, FakeClock, fresh_id
from tests.simulators.server import serve

STRANGER = "11010519491231002X"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def faults(clock: FakeClock) -> FaultBook:
    return FaultBook(clock)


@pytest.fixture(scope="module")
def sim_url(faults: FaultBook) -> Iterator[str]:
    with serve(create_app(Population.generate(200, 2026, AS_OF), faults)) as url:
        yield url


@pytest.fixture(autouse=True)
def no_faults(faults: FaultBook) -> None:
    faults.clear()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def settings_for(url: str, **overrides: Any) -> Settings:
    return load_settings(department_base_url=url, department_endpoints={}, **overrides)


async def query(
    client: httpx.AsyncClient, url: str, department: Department, ids: list[str], **overrides: Any
) -> DepartmentResult:
    adapter = make_department_adapters(settings_for(url, **overrides), client, "440106")[department]
    return await adapter.query(ids, 12, AS_OF)


async def admin(client: httpx.AsyncClient, url: str, method: str, path: str, body: Any = None) -> Any:
    response = await client.request(method, url + path, json=body)
    assert response.is_success, response.text
    return response.json()


PERSON_A: dict[str, Any] = {
    "incomes": [
        {"month": "2026-10", "source": "salary", "amount_fen": 320000},
        {"month": "2026-10", "source": "business", "amount_fen": 900000},
        {"month": "2026-09", "source": "labor_service", "amount_fen": 150000},
        {"month": "2026-08", "source": "property_lease", "amount_fen": 200000},
        {"month": "2026-09", "source": "unemployment", "amount_fen": 207000},
        {"month": "2026-11", "source": "salary", "amount_fen": 999},  # the query month: not complete
        {"month": "2025-10", "source": "salary", "amount_fen": 888},  # 13 months back
    ],
    "settlements": [
        {
            "settled_on": "2026-06-01",
            "total_fen": 5000000,
            "fund_paid_fen": 3000000,
            "medical_aid_fen": 500000,
        }
    ],
    "properties": [
        {"usage": "residential", "area_m2": 86.5, "registered_on": "2026-10-08", "value_fen": 300000000}
    ],
    "vehicles": [{"type_code": "K33", "registered_on": "2026-09-15", "value_fen": 15000000}],
    "businesses": [{"name": "天河区五山茶档", "established_on": "2020-03-01", "capital_fen": 5000000}],
    "housing_fund": [{"opened_on": "2015-07-01", "balance_fen": 4500000}],
    "holdings": [{"institution": "广发证券", "product": "securities", "balance_fen": 1234567}],
}
PERSON_B: dict[str, Any] = {
    "incomes": [{"month": "2026-10", "source": "pension", "amount_fen": 280000}],
    "businesses": [
        {"name": "旧店", "established_on": "2010-01-01", "capital_fen": 100, "status": "deregistered"}
    ],
    "housing_fund": [{"opened_on": "2000-01-01", "balance_fen": 0, "status": "closed"}],
}
D = date.fromisoformat
EXPECTED: dict[Department, DepartmentResult] = {
    Department.TAX: DepartmentResult(
        Department.TAX,
        incomes=[
            MonthlyIncome(1, "2026-10", 320000, "wage"),
            MonthlyIncome(1, "2026-10", 900000, "business"),
            MonthlyIncome(1, "2026-09", 150000, "wage"),  # 劳务报酬 is wage income under the 低保 rules
            MonthlyIncome(1, "2026-08", 200000, "rent"),
        ],
    ),
    Department.SOCIAL_INSURANCE: DepartmentResult(
        Department.SOCIAL_INSURANCE,
        incomes=[
            MonthlyIncome(1, "2026-09", 207000, "unemployment"),
            MonthlyIncome(2, "2026-10", 280000, "pension"),
        ],
    ),
    Department.MEDICAL_INSURANCE: DepartmentResult(
        Department.MEDICAL_INSURANCE, medical_bills=[MedicalBill(1, D("2026-06-01"), 5000000, 3500000)]
    ),
    Department.REAL_ESTATE: DepartmentResult(
        Department.REAL_ESTATE, assets=[Asset(1, "house", D("2026-10-08"), 300000000, "住宅 86.5㎡")]
    ),
    Department.VEHICLES: DepartmentResult(
        Department.VEHICLES, assets=[Asset(1, "vehicle", D("2026-09-15"), 15000000, "小型轿车")]
    ),
    Department.BUSINESS: DepartmentResult(
        Department.BUSINESS, assets=[Asset(1, "business", D("2020-03-01"), 5000000, "个体工商户经营者")]
    ),
    Department.HOUSING_FUND: DepartmentResult(
        Department.HOUSING_FUND, assets=[Asset(1, "housing_fund", None, 4500000, "住房公积金（正常缴存）")]
    ),
    Department.DEPOSITS: DepartmentResult(
        Department.DEPOSITS, assets=[Asset(1, "securities", None, 1234567, "广发证券 证券")]
    ),
}


@pytest.fixture
async def household(client: httpx.AsyncClient, sim_url: str) -> list[str]:
    """[someone the departments do not know, A, B] — as an application lists its members."""
    a, b = fresh_id(501), fresh_id(502, birth="19580303")
    members = [{"id_number": a, "name": "陈甲", **PERSON_A}, {"id_number": b, "name": "陈乙", **PERSON_B}]
    await admin(client, sim_url, "POST", "/admin/households", {"county_code": "440106", "members": members})
    return [STRANGER, a, b]


@pytest.mark.parametrize("department", list(Department))
async def test_answers_are_mapped_onto_member_indexes(
    client: httpx.AsyncClient, sim_url: str, household: list[str], department: Department
) -> None:
    result = await query(client, sim_url, department, household)
    expected = EXPECTED[department]
    assert result.department is department
    assert sorted(result.incomes, key=repr) == sorted(expected.incomes, key=repr)
    assert result.medical_bills == expected.medical_bills
    assert result.assets == expected.assets


async def test_a_generated_household_agrees_with_the_simulators_records(
    client: httpx.AsyncClient, sim_url: str
) -> None:
    listing = await admin(client, sim_url, "GET", "/admin/households?profile=hidden_business&limit=1")
    ids = [m["id_number"] for m in listing["households"][0]["members"]]
    result = await query(client, sim_url, Department.TAX, ids)
    window = {f"2025-{m:02d}" for m in (11, 12)} | {f"2026-{m:02d}" for m in range(1, 11)}
    for index, number in enumerate(ids):
        records = await admin(client, sim_url, "GET", f"/admin/people/{number}")
        taxed = [i for i in records["incomes"] if i["month"] in window and i["source"] != "pension"]
        taxed = [i for i in taxed if i["source"] != "unemployment"]
        assert sum(i.amount_fen for i in result.incomes if i.member == index) == sum(
            i["amount_fen"] for i in taxed
        )
    assert any(i.kind == "business" for i in result.incomes)


async def test_a_repeated_id_number_maps_to_its_first_member(
    client: httpx.AsyncClient, sim_url: str, household: list[str]
) -> None:
    result = await query(client, sim_url, Department.VEHICLES, [household[1], household[1]])
    assert [a.member for a in result.assets] == [0]


async def test_no_members_no_request() -> None:
    async with httpx.AsyncClient() as nowhere:
        result = await query(nowhere, "http://127.0.0.1:9", Department.TAX, [])
    assert result == DepartmentResult(Department.TAX)


async def test_a_slow_department_times_out_as_unavailable(
    client: httpx.AsyncClient, sim_url: str, faults: FaultBook
) -> None:
    await admin(client, sim_url, "POST", "/admin/faults", {"department": "tax", "latency_ms": 800})
    with pytest.raises(DepartmentUnavailable, match=r"税务部门（tax）在 0.2 秒内未应答"):
        await query(client, sim_url, Department.TAX, [STRANGER], department_timeout_seconds=0.2)


async def test_down_for_hours_is_unavailable_until_it_is_back(
    client: httpx.AsyncClient, sim_url: str, clock: FakeClock, household: list[str]
) -> None:
    await admin(
        client, sim_url, "POST", "/admin/faults", {"department": "real_estate", "down_for_seconds": 3 * 3600}
    )
    with pytest.raises(
        DepartmentUnavailable, match=r"不动产登记机构（real_estate）暂时无法提供服务（HTTP 503"
    ):
        await query(client, sim_url, Department.REAL_ESTATE, household)
    clock.advance(hours=3, seconds=1)
    assert (await query(client, sim_url, Department.REAL_ESTATE, household)).assets


async def test_a_dropped_connection_is_unavailable(client: httpx.AsyncClient, sim_url: str) -> None:
    await admin(client, sim_url, "POST", "/admin/faults", {"down_for_seconds": 600, "down_mode": "drop"})
    with pytest.raises(DepartmentUnavailable, match=r"车辆登记机关（vehicles）无法连接或连接中断"):
        await query(client, sim_url, Department.VEHICLES, [STRANGER])


async def test_nothing_listening_is_unavailable(client: httpx.AsyncClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(DepartmentUnavailable, match="ConnectError"):
        await query(client, closed, Department.DEPOSITS, [STRANGER])


async def test_server_errors_are_unavailable(client: httpx.AsyncClient, sim_url: str) -> None:
    await admin(
        client, sim_url, "POST", "/admin/faults", {"department": "medical_insurance", "error_rate": 1}
    )
    for _ in range(4):
        with pytest.raises(DepartmentUnavailable, match=r"HTTP 50[03]"):
            await query(client, sim_url, Department.MEDICAL_INSURANCE, [STRANGER])


@pytest.mark.parametrize(
    ("kind", "department", "field"),
    [
        ("wrong_type", Department.TAX, "data.persons[0].incomes[0].amount: 金额应为以元计的字符串"),
        ("negative_amount", Department.MEDICAL_INSURANCE, "data.settlements[0].total: 金额不能为负数"),
        ("impossible_date", Department.VEHICLES, "data.vehicles[0].registered_on: "),
        ("future_date", Department.REAL_ESTATE, "data.rights[0].registered_on: 日期晚于查询日期"),
        ("future_date", Department.SOCIAL_INSURANCE, "data.insured[0].benefits[0].month: 月份晚于查询日期"),
        ("impossible_date", Department.TAX, "data.persons[0].incomes[0].period: 月份无效"),
        ("missing_field", Department.DEPOSITS, "data.holdings[0].balance: Field required"),
        (
            "foreign_person",
            Department.BUSINESS,
            "未查询人员（1101**********002X）的记录，字段 data.entities[0].id_number",
        ),
        ("not_json", Department.HOUSING_FUND, "住房公积金中心（housing_fund）的应答不是有效的 JSON"),
    ],
)
async def test_bad_data_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    sim_url: str,
    household: list[str],
    kind: str,
    department: Department,
    field: str,
) -> None:
    await admin(client, sim_url, "POST", "/admin/faults", {"department": department.value, "bad_data": kind})
    with pytest.raises(DepartmentBadData) as raised:
        await query(client, sim_url, department, household[1:])
    assert not isinstance(raised.value, DepartmentCredentialsRejected)
    assert field in str(raised.value)


async def test_a_wrong_api_key_is_a_configuration_error_not_worth_retrying(
    client: httpx.AsyncClient, sim_url: str
) -> None:
    keys = {d.value: f"dev-{d.value}-key" for d in Department} | {"440106/tax": "stale"}
    with pytest.raises(DepartmentCredentialsRejected) as raised:
        await query(client, sim_url, Department.TAX, [STRANGER], department_api_keys=keys)
    assert isinstance(raised.value, DepartmentBadData)  # non-retryable for the activity
    assert "HTTP 401" in str(raised.value) and "DEPARTMENT_API_KEYS" in str(raised.value)


async def test_id_numbers_never_appear_in_clear_in_logs_or_messages(
    client: httpx.AsyncClient, sim_url: str, household: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="infra.departments")
    await query(client, sim_url, Department.TAX, household)
    await admin(
        client, sim_url, "POST", "/admin/faults", {"department": "tax", "bad_data": "negative_amount"}
    )
    with pytest.raises(DepartmentBadData) as raised:
        await query(client, sim_url, Department.TAX, household)
    assert "4401**********" in caplog.text
    for number in household:
        assert number not in caplog.text and number not in str(raised.value)
