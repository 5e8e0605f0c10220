"""The simulator's department API: envelope, the right records for the right people, API keys."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.departments import Department
from domain.identity import normalize_id_number
from tests.simulators.conftest import AS_OF, ask, fresh_id, key, plant, query_body

# One record of every kind, some inside and some outside the query window (as_of 2026-11-22,
# 12 months → incomes of 2025-11 … 2026-10, bills since 2025-11-23).
EVERYTHING: dict[str, Any] = {
    "name": "陈测试",
    "incomes": [
        {"month": "2026-10", "source": "salary", "amount_fen": 320000, "payer": "广州珠江物流有限公司"},
        {"month": "2026-10", "source": "business", "amount_fen": 900000},
        {"month": "2026-09", "source": "pension", "amount_fen": 280000},
        {"month": "2026-11", "source": "salary", "amount_fen": 999},  # as_of's own month: not yet
        {"month": "2025-10", "source": "salary", "amount_fen": 888},  # 13 months back: outside
    ],
    "settlements": [
        {
            "settled_on": "2026-06-01",
            "total_fen": 5000000,
            "fund_paid_fen": 3000000,
            "medical_aid_fen": 500000,
        },
        {"settled_on": "2025-10-01", "total_fen": 777, "fund_paid_fen": 0},  # older than 12 months
    ],
    "properties": [
        {"usage": "residential", "area_m2": 86.5, "registered_on": "2026-10-08", "value_fen": 300000000}
    ],
    "vehicles": [{"type_code": "K33", "registered_on": "2026-09-15", "value_fen": 15000000}],
    "businesses": [{"name": "天河区五山茶档", "established_on": "2020-03-01", "capital_fen": 5000000}],
    "housing_fund": [{"opened_on": "2015-07-01", "balance_fen": 4500000, "monthly_deposit_fen": 60000}],
    "holdings": [{"institution": "广发证券", "product": "securities", "balance_fen": 1234567}],
}


@pytest.fixture
async def planted(sim: httpx.AsyncClient) -> str:
    number = fresh_id(311)
    await plant(sim, {"id_number": number, **EVERYTHING})
    return number


async def test_answer_is_an_envelope_with_only_the_people_asked_about(
    sim: httpx.AsyncClient, planted: str
) -> None:
    stranger = "11010519491231002X"
    response = await ask(sim, Department.TAX, [planted, stranger])
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "0000" and body["message"] == "查询成功"
    assert body["request_id"] == "req-1" and body["department"] == "tax"
    assert body["responded_at"].startswith("2026-11-22T10:00:00+08:00")  # the fake clock, China time
    assert [p["id_number"] for p in body["data"]["persons"]] == [planted]


@pytest.mark.parametrize(
    ("department", "expected"),
    [
        (
            Department.TAX,
            {
                "persons": [
                    {
                        "id_number": "ID",
                        "incomes": [
                            {
                                "period": "2026-10",
                                "item": "salary",
                                "amount": "3200.00",
                                "payer": "广州珠江物流有限公司",
                            },
                            {"period": "2026-10", "item": "business", "amount": "9000.00", "payer": ""},
                        ],
                    }
                ]
            },
        ),
        (
            Department.SOCIAL_INSURANCE,
            {
                "insured": [
                    {
                        "id_number": "ID",
                        "benefits": [{"month": "202609", "benefit_type": "pension", "amount": "2800.00"}],
                    }
                ]
            },
        ),
        (
            Department.MEDICAL_INSURANCE,
            {
                "settlements": [
                    {
                        "id_number": "ID",
                        "settled_on": "2026-06-01",
                        "hospital": "社区卫生服务中心",
                        "total": "50000.00",
                        "fund_paid": "30000.00",
                        "medical_aid_paid": "5000.00",
                        "self_paid": "15000.00",
                    }
                ]
            },
        ),
        (
            Department.REAL_ESTATE,
            {
                "rights": [
                    {
                        "owner_id_number": "ID",
                        "usage": "residential",
                        "area_m2": "86.50",
                        "registered_on": "2026-10-08",
                        "assessed_value": "3000000.00",
                    }
                ]
            },
        ),
        (
            Department.VEHICLES,
            {
                "vehicles": [
                    {
                        "owner_id_number": "ID",
                        "vehicle_type_code": "K33",
                        "vehicle_type_name": "小型轿车",
                        "registered_on": "2026-09-15",
                        "assessed_value": "150000.00",
                    }
                ]
            },
        ),
        (
            Department.BUSINESS,
            {
                "entities": [
                    {
                        "id_number": "ID",
                        "role": "operator",
                        "entity_name": "天河区五山茶档",
                        "entity_type": "individual",
                        "established_on": "2020-03-01",
                        "registered_capital": "50000.00",
                        "status": "active",
                    }
                ]
            },
        ),
        (
            Department.HOUSING_FUND,
            {
                "accounts": [
                    {
                        "id_number": "ID",
                        "status": "normal",
                        "opened_on": "2015-07-01",
                        "balance": "45000.00",
                        "monthly_deposit": "600.00",
                    }
                ]
            },
        ),
        (
            Department.DEPOSITS,
            {
                "holdings": [
                    {
                        "id_number": "ID",
                        "institution": "广发证券",
                        "product": "securities",
                        "balance": "12345.67",
                        "valued_on": "2026-11-22",
                    }
                ]
            },
        ),
    ],
)
async def test_each_department_answers_with_its_own_records_in_its_own_format(
    sim: httpx.AsyncClient, planted: str, department: Department, expected: dict[str, Any]
) -> None:
    response = await ask(sim, department, [planted], months=12)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == _with_id(expected, planted)


def _with_id(value: Any, number: str) -> Any:
    if isinstance(value, dict):
        return {k: _with_id(v, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_id(v, number) for v in value]
    return number if value == "ID" else value


async def test_incomes_follow_the_months_asked_for(sim: httpx.AsyncClient, planted: str) -> None:
    one = (await ask(sim, Department.TAX, [planted], months=1)).json()["data"]["persons"][0]["incomes"]
    assert {i["period"] for i in one} == {"2026-10"}
    older = (await ask(sim, Department.TAX, [planted], months=24)).json()["data"]["persons"][0]["incomes"]
    assert {i["amount"] for i in older} >= {"8.88"}  # 2025-10 is inside 24 months


async def test_assets_registered_after_the_query_date_are_not_there_yet(
    sim: httpx.AsyncClient, planted: str
) -> None:
    response = await ask(sim, Department.VEHICLES, [planted], as_of=AS_OF.replace(month=9, day=1))
    assert response.json()["data"] == {"vehicles": []}


async def test_unknown_people_get_empty_records_not_an_error(sim: httpx.AsyncClient) -> None:
    for department in Department:
        response = await ask(sim, department, ["11010519491231002X"])
        assert response.status_code == 200
        assert all(v == [] for v in response.json()["data"].values())


async def test_generated_people_have_records(sim: httpx.AsyncClient) -> None:
    listing = (await sim.get("/admin/households", params={"profile": "working", "limit": 5})).json()
    ids = [m["id_number"] for h in listing["households"] for m in h["members"]]
    persons = (await ask(sim, Department.TAX, ids)).json()["data"]["persons"]
    assert persons and {p["id_number"] for p in persons} <= set(ids)
    assert all(len(p["incomes"]) == 12 for p in persons)  # salaried every month


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Api-Key": "wrong"}, key(Department.VEHICLES)],
    ids=["missing", "wrong", "another-departments-key"],
)
async def test_a_department_requires_its_own_api_key(sim: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await sim.post("/tax/v1/query", json=query_body(["11010519491231002X"]), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "4010" and response.json()["data"] is None


async def test_a_malformed_query_is_refused_naming_the_fields(sim: httpx.AsyncClient) -> None:
    body = {"request_id": "r", "id_numbers": [], "months": 0, "as_of": "2026-02-30"}
    response = await sim.post("/tax/v1/query", json=body, headers=key("tax"))
    assert response.status_code == 400
    assert response.json()["code"] == "4000"
    for field in ("id_numbers", "months", "as_of"):
        assert field in response.json()["message"]


async def test_an_unknown_department_is_404(sim: httpx.AsyncClient) -> None:
    response = await sim.post(
        "/lottery/v1/query", json=query_body(["11010519491231002X"]), headers=key("tax")
    )
    assert response.status_code == 404 and response.json()["code"] == "4040"


async def test_admin_lists_households_by_profile_and_county_with_valid_ids(sim: httpx.AsyncClient) -> None:
    everyone = (await sim.get("/admin/households", params={"limit": 1000})).json()
    assert everyone["total"] >= 400
    page = (await sim.get("/admin/households", params={"limit": 3, "offset": 2})).json()
    assert [h["household_id"] for h in page["households"]] == [
        h["household_id"] for h in everyone["households"][2:5]
    ]
    tianhe = (
        await sim.get("/admin/households", params={"county_code": "440106", "profile": "elderly"})
    ).json()
    assert tianhe["households"]
    for household in tianhe["households"]:
        assert household["county_code"] == "440106" and household["profile"] == "elderly"
        for member in household["members"]:
            assert normalize_id_number(member["id_number"]) == member["id_number"]
            assert member["gender"] in ("男", "女")
        assert household["members"][0]["birth_date"] < "1965-01-01"  # the head is 60 or older


async def test_a_planted_household_replaces_a_generated_person(sim: httpx.AsyncClient) -> None:
    listing = (await sim.get("/admin/households", params={"profile": "hidden_business", "limit": 1})).json()
    person = listing["households"][0]["members"][0]["id_number"]
    household = await plant(sim, {"id_number": person, "name": "林先生", "incomes": []})
    assert household["profile"] == "planted" and household["members"][0]["name"] == "林先生"
    assert (await ask(sim, Department.BUSINESS, [person])).json()["data"] == {"entities": []}
    records = (await sim.get(f"/admin/people/{person}")).json()
    assert records["incomes"] == [] and records["businesses"] == []
    listed = (await sim.get("/admin/households", params={"profile": "hidden_business", "limit": 1000})).json()
    assert person not in {m["id_number"] for h in listed["households"] for m in h["members"]}


async def test_planting_validates_id_numbers_and_records(sim: httpx.AsyncClient) -> None:
    number = fresh_id(312)
    wrong_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    bad = {
        "members": [
            {"id_number": wrong_check},
            {"id_number": number, "incomes": [{"month": "2026-13", "source": "salary", "amount_fen": -1}]},
        ]
    }
    response = await sim.post("/admin/households", json=bad)
    assert response.status_code == 422
    fields = {tuple(e["loc"][-2:]) for e in response.json()["detail"]}
    assert {(0, "id_number"), (0, "month"), (0, "amount_fen")} <= fields


async def test_people_endpoint_404_for_a_stranger(sim: httpx.AsyncClient) -> None:
    assert (await sim.get("/admin/people/11010519491231002X")).status_code == 404


async def test_healthz_reports_the_population(sim: httpx.AsyncClient) -> None:
    body = (await sim.get("/healthz")).json()
    assert body == {
        "status": "ok",
        "households": body["households"],
        "seed": 2026,
        "reference_date": "2026-11-22",
    }
    assert body["households"] >= 400
