"""What every department adapter does the same way: one HTTP POST, the mapping of transport and
status failures onto the contract's two exceptions, and strict validation of the answer.

- no answer (connection refused or dropped, timeout), HTTP 5xx, HTTP 429, envelope code 5xxx →
  `DepartmentUnavailable`: it may work later, the workflow retries with backoff;
- HTTP 401/403 → `DepartmentCredentialsRejected` (a `DepartmentBadData`): the configured key is
  wrong, and retrying will not fix it — an operator must, so it must not loop silently;
- other HTTP 4xx and non-success codes, unparseable JSON, schema violations, impossible values,
  records of people not asked about → `DepartmentBadData`, naming the field.
ID numbers never appear in clear in a message or a log line: messages travel into workflow history.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, Generic, TypeVar

import httpx
from pydantic import ValidationError

from domain.departments import (
    DEPARTMENT_LABELS,
    Department,
    DepartmentBadData,
    DepartmentResult,
    DepartmentUnavailable,
)
from domain.masking import mask_id_number
from infra.departments.endpoints import DepartmentEndpoint
from infra.departments.wire import SUCCESS, Envelope

log = logging.getLogger("infra.departments")

R = TypeVar("R", bound=Envelope)
T = TypeVar("T")
_MAX_ERRORS_SHOWN = 3


class DepartmentCredentialsRejected(DepartmentBadData):
    """The department refused our API key (HTTP 401/403): a configuration error, not bad luck."""


class Members:
    """ID number → member index (the position in the query), for mapping answers back."""

    def __init__(self, id_numbers: Sequence[str], who: str) -> None:
        self._index: dict[str, int] = {}
        for i, number in enumerate(id_numbers):
            self._index.setdefault(number.strip().upper(), i)  # a repeated number maps to its first member
        self._who = who

    @property
    def id_numbers(self) -> list[str]:
        return list(self._index)

    def __call__(self, id_number: str, where: str) -> int:
        try:
            return self._index[id_number.upper()]
        except KeyError:
            raise DepartmentBadData(
                f"{self._who}返回了未查询人员（{mask_id_number(id_number)}）的记录，字段 {where} "
                "/ a record of a person not in the query"
            ) from None


def field_path(loc: Sequence[int | str]) -> str:
    """('data', 'persons', 0, 'amount') → data.persons[0].amount"""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(整个应答)"


def months_before(day: date, count: int) -> frozenset[str]:
    """The `count` calendar months before `day`'s month, as YYYY-MM."""
    year, month, out = day.year, day.month, set()
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.add(f"{year:04d}-{month:02d}")
    return frozenset(out)


class HttpDepartmentAdapter(Generic[R]):
    """Subclasses set `department` and `response_model`, and map the validated data in `_map`."""

    department: Department
    response_model: type[R]

    def __init__(self, client: httpx.AsyncClient, endpoint: DepartmentEndpoint) -> None:
        if endpoint.department is not self.department:
            raise ValueError(f"endpoint of {endpoint.department} given to the {self.department} adapter")
        self._client = client  # shared and owned by the worker: never one per call
        self._endpoint = endpoint
        self.who = f"{DEPARTMENT_LABELS[self.department]}（{self.department.value}）"

    async def query(self, id_numbers: list[str], months: int, as_of: date) -> DepartmentResult:
        if not id_numbers:
            return DepartmentResult(self.department)
        members = Members(id_numbers, self.who)
        started = time.monotonic()
        try:
            response = await self._post(members.id_numbers, months, as_of)
            result = self._map(response, members, months, as_of)
        except (DepartmentUnavailable, DepartmentBadData) as exc:
            log.warning("%s query failed for %s: %s", self.department.value, _masked(members), exc)
            raise
        log.info(
            "%s: %s → %d incomes, %d bills, %d assets in %.0f ms",
            self.department.value,
            _masked(members),
            len(result.incomes),
            len(result.medical_bills),
            len(result.assets),
            (time.monotonic() - started) * 1000,
        )
        return result

    async def _post(self, id_numbers: list[str], months: int, as_of: date) -> R:
        request_id = uuid.uuid4().hex
        body = {
            "request_id": request_id,
            "id_numbers": id_numbers,
            "months": months,
            "as_of": as_of.isoformat(),
        }
        endpoint = self._endpoint
        try:
            response = await self._client.post(
                endpoint.url,
                json=body,
                headers={endpoint.api_key_header: endpoint.api_key},
                timeout=endpoint.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            raise DepartmentUnavailable(
                f"{self.who}在 {endpoint.timeout_seconds:g} 秒内未应答 / no answer within "
                f"{endpoint.timeout_seconds:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise DepartmentUnavailable(
                f"{self.who}无法连接或连接中断 / connection failed ({type(exc).__name__})"
            ) from exc
        self._check_status(response)
        try:
            parsed = self.response_model.model_validate_json(
                response.content, strict=True, context={"as_of": as_of}
            )
        except ValidationError as exc:
            raise DepartmentBadData(self._describe(exc)) from None
        if parsed.code != SUCCESS:
            problem = (
                f"{self.who}应答代码 {parsed.code}：{parsed.message[:200]} / answered code {parsed.code}"
            )
            raise (DepartmentUnavailable if parsed.code.startswith("5") else DepartmentBadData)(problem)
        if parsed.request_id != request_id:
            raise DepartmentBadData(f"{self.who}应答的 request_id 与请求不符 / answer to another request")
        if parsed.department and parsed.department != self.department.value:
            # A gateway routing to the wrong system: its records would be read as this department's.
            raise DepartmentBadData(
                f"{self.who}的应答来自另一部门（{parsed.department[:40]}）/ answered by another department"
            )
        return parsed

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        said = _envelope_message(response)
        if status in (401, 403):
            raise DepartmentCredentialsRejected(
                f"{self.who}拒绝了接口密钥（HTTP {status}{said}），请检查 DEPARTMENT_API_KEYS 配置，"
                "重试无效 / the department rejected our API key: fix the configuration"
            )
        if status == 429 or status >= 500:
            retry = response.headers.get("retry-after")
            hint = f"，建议 {retry} 秒后重试" if retry else ""
            raise DepartmentUnavailable(
                f"{self.who}暂时无法提供服务（HTTP {status}{said}{hint}）/ temporarily unavailable"
            )
        raise DepartmentBadData(f"{self.who}拒绝了查询（HTTP {status}{said}）/ refused the query")

    def _describe(self, exc: ValidationError) -> str:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(e["type"] == "json_invalid" for e in errors):
            return f"{self.who}的应答不是有效的 JSON / the answer is not valid JSON"
        shown = [f"{field_path(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in errors]
        more = f"；另有 {len(shown) - _MAX_ERRORS_SHOWN} 处" if len(shown) > _MAX_ERRORS_SHOWN else ""
        return (
            f"{self.who}返回的数据不符合接口规范 / invalid answer — "
            + "；".join(shown[:_MAX_ERRORS_SHOWN])
            + more
        )

    def _map(self, response: R, members: Members, months: int, as_of: date) -> DepartmentResult:
        raise NotImplementedError

    def _data(self, data: T | None) -> T:
        if data is None:
            raise DepartmentBadData(f"{self.who}的成功应答缺少 data 字段 / the answer has no data")
        return data


def _masked(members: Members) -> str:
    return ", ".join(mask_id_number(n) for n in members.id_numbers)


def _envelope_message(response: httpx.Response) -> str:
    """The department's own words about an error, when its body is an envelope."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return f"：{body.get('code', '')} {body['message'][:200]}"
    return ""
