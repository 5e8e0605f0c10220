"""What the adapters send, and how they read answers the simulator does not give: statuses, codes
and envelopes of a department misbehaving in other ways (httpx.MockTransport, no server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from domain.departments import Department, DepartmentBadData, DepartmentUnavailable, MonthlyIncome
from infra.departments import DepartmentCredentialsRejected, make_department_adapters
from infra.settings import load_settings

AS_OF = date(2026, 11, 22)
PERSON = "11010519491231002X"
Handler = Callable[[httpx.Request], httpx.Response]


def envelope(request: httpx.Request, data: Any, code: str = "0000", **extra: Any) -> httpx.Response:
    sent = json.loads(request.content)
    body = {"code": code, "message": "查询成功", "request_id": sent["request_id"], "data": data, **extra}
    return httpx.Response(200, json=body)


async def run(handler: Handler, department: Department = Department.TAX, ids: list[str] | None = None) -> Any:
    settings = load_settings(department_base_url="https://exchange.example/api", department_endpoints={})
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        adapter = make_department_adapters(settings, client, "440105")[department]
        return await adapter.query(ids or [PERSON], 3, AS_OF)


async def test_the_request_carries_key_body_and_path() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return envelope(request, {"persons": []})

    await run(handler, ids=[PERSON, "440105198001011237", PERSON.lower()])
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://exchange.example/api/tax/v1/query"
    assert request.headers["X-Api-Key"] == "dev-tax-key"
    body = json.loads(request.content)
    assert body["id_numbers"] == [PERSON, "440105198001011237"]  # repeated numbers asked once
    assert body["months"] == 3 and body["as_of"] == "2026-11-22" and len(body["request_id"]) == 32


async def test_incomes_outside_the_window_are_left_out() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        items = [
            {"period": p, "item": "salary", "amount": "100.00"}
            for p in ("2026-11", "2026-10", "2026-08", "2026-07")
        ]
        return envelope(request, {"persons": [{"id_number": PERSON, "incomes": items}]})

    result = await run(handler)
    assert result.incomes == [
        MonthlyIncome(0, "2026-10", 10000, "wage"),
        MonthlyIncome(0, "2026-08", 10000, "wage"),
    ]


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (429, DepartmentUnavailable, "HTTP 429"),
        (500, DepartmentUnavailable, "HTTP 500"),
        (502, DepartmentUnavailable, "HTTP 502"),
        (401, DepartmentCredentialsRejected, "HTTP 401"),
        (403, DepartmentCredentialsRejected, "HTTP 403"),
        (400, DepartmentBadData, "HTTP 400"),
        (404, DepartmentBadData, "HTTP 404"),
        (302, DepartmentBadData, "HTTP 302"),
    ],
)
async def test_statuses(status: int, error: type[Exception], text: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Retry-After": "30"}, json={"code": "x", "message": "说明"})

    with pytest.raises(error, match=text) as raised:
        await run(handler)
    assert type(raised.value) is error
    assert "说明" in str(raised.value)  # the department's own words are kept
    if status == 429:
        assert "30 秒后重试" in str(raised.value)


async def test_a_non_json_error_page_is_still_mapped_by_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    with pytest.raises(DepartmentUnavailable, match="HTTP 502"):
        await run(handler)


@pytest.mark.parametrize(
    ("code", "error"),
    [("5030", DepartmentUnavailable), ("5000", DepartmentUnavailable), ("4000", DepartmentBadData)],
)
async def test_error_codes_inside_a_200(code: str, error: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return envelope(request, None, code=code, message="系统维护")

    with pytest.raises(error, match=f"应答代码 {code}：系统维护"):
        await run(handler)


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        (
            lambda r: httpx.Response(
                200, json={"code": "0000", "request_id": "another", "data": {"persons": []}}
            ),
            "request_id",
        ),
        (lambda r: envelope(r, None), "缺少 data"),
        (lambda r: envelope(r, {"persons": []}, department="vehicles"), "来自另一部门（vehicles）"),
        (lambda r: httpx.Response(200, json=[1, 2]), "(整个应答)"),
        (lambda r: envelope(r, {"people": []}), "data.persons: Field required"),
        (
            lambda r: envelope(r, {"persons": [{"id_number": "4401", "incomes": []}]}),
            "data.persons[0].id_number",
        ),
        (
            lambda r: envelope(
                r,
                {
                    "persons": [
                        {
                            "id_number": PERSON,
                            "incomes": [{"period": "2026-10", "item": "gift", "amount": "1.00"}],
                        }
                    ]
                },
            ),
            "data.persons[0].incomes[0].item",
        ),
        (
            lambda r: envelope(
                r,
                {
                    "persons": [
                        {
                            "id_number": PERSON,
                            "incomes": [{"period": "2026-10", "item": "salary", "amount": "1.005"}],
                        }
                    ]
                },
            ),
            "金额格式错误",
        ),
    ],
    ids=[
        "request-id",
        "no-data",
        "other-department",
        "not-an-envelope",
        "wrong-key",
        "bad-id",
        "unknown-item",
        "three-decimals",
    ],
)
async def test_malformed_answers_are_bad_data(answer: Handler, text: str) -> None:
    with pytest.raises(DepartmentBadData) as raised:
        await run(answer)
    assert text in str(raised.value)


async def test_reimbursed_above_the_total_is_bad_data() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        bill = {
            "id_number": PERSON,
            "settled_on": "2026-05-01",
            "total": "100.00",
            "fund_paid": "90.00",
            "medical_aid_paid": "20.00",
        }
        return envelope(request, {"settlements": [bill]})

    with pytest.raises(DepartmentBadData, match=r"data.settlements\[0\]: 报销金额超过总费用"):
        await run(handler, Department.MEDICAL_INSURANCE)


async def test_bills_older_than_twelve_months_are_left_out() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        bills = [
            {"id_number": PERSON, "settled_on": day, "total": "100.00", "fund_paid": "50.00"}
            for day in ("2025-11-22", "2025-11-23")
        ]
        return envelope(request, {"settlements": bills})

    result = await run(handler, Department.MEDICAL_INSURANCE)
    assert [b.billed_on for b in result.medical_bills] == [date(2025, 11, 23)]
    assert result.medical_bills[0].out_of_pocket_fen == 5000


async def test_extra_fields_from_a_newer_interface_version_are_ignored() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        holding = {
            "id_number": PERSON,
            "product": "deposit",
            "balance": "10.00",
            "valued_on": "2026-11-22",
            "branch": "x",
        }
        return envelope(request, {"holdings": [holding], "page": 1}, version="1.1")

    result = await run(handler, Department.DEPOSITS)
    assert [(a.kind, a.value_fen) for a in result.assets] == [("deposit", 1000)]
