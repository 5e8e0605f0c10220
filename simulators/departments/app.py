"""The department simulator's HTTP service: `POST /{department}/v1/query` for the eight
departments, behind a per-department API key, with faults injected per department."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import Receive, Scope, Send

from domain.calendar import CHINA_TZ
from domain.departments import Department
from simulators.departments.admin import admin_router
from simulators.departments.faults import FaultBook, corrupt
from simulators.departments.population import Population
from simulators.departments.wire import BUILDERS, ERRORS, SUCCESS, Window, envelope

DEFAULT_API_KEY_HEADER = "X-Api-Key"


def dev_api_key(department: Department) -> str:
    """The development key of a department; infra.settings has the same defaults."""
    return f"dev-{department.value}-key"


def keys_from_mapping(mapping: Mapping[str, str]) -> dict[Department, frozenset[str]]:
    """Keys as the adapters' DEPARTMENT_API_KEYS names them ("tax" or "440106/tax"): one simulator
    serves every county, so it accepts every key configured for a department."""
    keys: dict[Department, set[str]] = {d: set() for d in Department}
    for name, key in mapping.items():
        department = name.rpartition("/")[2]
        if department in keys:
            keys[Department(department)].add(key)
    return {d: frozenset(k or {dev_api_key(d)}) for d, k in keys.items()}


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=64)
    id_numbers: list[str] = Field(min_length=1, max_length=100)
    months: int = Field(ge=1, le=60)
    as_of: date


class DroppedConnection(Response):
    """Headers, then nothing: the server closes the connection mid-answer, as a dying gateway does.
    (uvicorn closes the socket when an app returns without finishing its response, and logs an
    error line "ASGI callable returned without completing response" each time: that is expected.)"""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"4096")]})


def create_app(
    population: Population,
    faults: FaultBook | None = None,
    *,
    api_keys: Mapping[Department, Iterable[str]] | None = None,
    api_key_header: str = DEFAULT_API_KEY_HEADER,
) -> FastAPI:
    faults = faults or FaultBook()
    keys = {d: frozenset(api_keys[d] if api_keys and d in api_keys else {dev_api_key(d)}) for d in Department}
    app = FastAPI(
        title="部门数据模拟服务 · Department data simulator",
        description="税务、人社、医保、不动产、车辆、市场监管、公积金、金融 的数据核对接口（模拟）",
    )
    app.state.population = population
    app.state.faults = faults
    app.include_router(admin_router(population, faults))

    def answer(
        code: str, request_id: str, department: str, data: Any = None, detail: str = ""
    ) -> JSONResponse:
        status = 200 if code == SUCCESS else ERRORS[code][0]
        now = faults.clock().astimezone(CHINA_TZ)
        return JSONResponse(envelope(code, request_id, department, now, data, detail), status_code=status)

    @app.get("/healthz", tags=["运行状态"])
    async def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "households": len(population),
            "seed": population.seed,
            "reference_date": population.reference_date.isoformat(),
        }

    @app.post("/{department}/v1/query", tags=["部门查询"], response_model=None)
    async def query(department: str, request: Request) -> Response:
        try:
            dept = Department(department)
        except ValueError:
            return answer("4040", "", department)
        if (down := faults.down(dept)) is not None:
            return DroppedConnection() if down.down_mode == "drop" else answer("5030", "", dept.value)
        spec = faults.get(dept)
        if spec is not None and spec.latency_ms:
            await asyncio.sleep(spec.latency_ms / 1000)
        if request.headers.get(api_key_header) not in keys[dept]:
            return answer("4010", "", dept.value)
        if (status := faults.draw_error(dept)) is not None:
            return answer("5000" if status == 500 else "5030", "", dept.value)
        try:
            body = QueryRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
            return answer("4000", "", dept.value, detail=fields)
        people = []
        for id_number in dict.fromkeys(i.strip().upper() for i in body.id_numbers):
            records = population.records_of(id_number)
            if records is not None:
                people.append((id_number, records))
        data = BUILDERS[dept](people, Window.of(body.as_of, body.months))
        if spec is not None and spec.bad_data == "not_json":
            return Response('{"code": "0000", "message": "查询成'.encode(), media_type="application/json")
        if spec is not None and spec.bad_data is not None:
            data = corrupt(dept, data, spec.bad_data, body.id_numbers[0], body.as_of)
        return answer(SUCCESS, body.request_id, dept.value, data)

    return app
