"""Fault injection: what a department does wrong, set per department through the admin API.

Random choices (which request fails, with 500 or 503) come from a generator seeded by the fault's
`seed` and the department, reset whenever the fault is set, so a test sees the same sequence on
every run. Time comes from an injectable clock, so "down for hours" can be tested without waiting.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.departments import Department
from simulators.departments.profiles import months_before
from simulators.departments.records import (
    Business,
    Holding,
    HousingFundAccount,
    Income,
    IncomeSource,
    PersonRecords,
    Property,
    Settlement,
    Vehicle,
)
from simulators.departments.wire import AMOUNT_FIELDS, BUILDERS, DATE_FIELDS, RECORD_PATHS, Window

BadDataKind = Literal[
    "wrong_type",  # an amount as a JSON number instead of a string of 元
    "negative_amount",
    "impossible_date",  # 2026-02-30, month 13
    "future_date",  # registered / settled / earned after the query date
    "missing_field",  # the amount left out
    "foreign_person",  # a record of someone who was not asked about
    "not_json",  # a truncated body
]
# The example number of the GB 11643 standard itself: valid, and never one of ours.
FOREIGN_ID_NUMBER = "11010519491231002X"


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=600_000, description="每次应答前的延迟（毫秒）")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="返回 500/503 的概率")
    down_until: AwareDatetime | None = Field(default=None, description="此时刻之前服务不可用")
    down_mode: Literal["refuse", "drop"] = Field(default="refuse", description="refuse: 503；drop: 断开连接")
    bad_data: BadDataKind | None = Field(default=None, description="返回的畸形数据种类")
    seed: int = Field(default=0, description="随机数种子（决定哪些请求出错）")


class FaultRequest(FaultSpec):
    department: Department | None = Field(default=None, description="不填则设置所有部门")
    down_for_seconds: float | None = Field(default=None, gt=0, description="从现在起不可用的秒数")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FaultBook:
    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        self.clock = clock
        self._specs: dict[Department, FaultSpec] = {}
        self._rngs: dict[Department, random.Random] = {}

    def apply(self, request: FaultRequest) -> None:
        """Replace the faults of one department (or of all): a new setting, not a merge."""
        values = request.model_dump(exclude={"department", "down_for_seconds"})
        if request.down_for_seconds is not None:
            values["down_until"] = self.clock() + timedelta(seconds=request.down_for_seconds)
        spec = FaultSpec(**values)
        for department in [request.department] if request.department else list(Department):
            self._specs[department] = spec
            self._rngs[department] = random.Random(f"{spec.seed}:{department.value}")

    def clear(self, department: Department | None = None) -> None:
        for d in [department] if department else list(Department):
            self._specs.pop(d, None)
            self._rngs.pop(d, None)

    def snapshot(self) -> dict[str, FaultSpec]:
        return {d.value: spec for d, spec in self._specs.items()}

    def get(self, department: Department) -> FaultSpec | None:
        return self._specs.get(department)

    def down(self, department: Department) -> FaultSpec | None:
        spec = self._specs.get(department)
        if spec is not None and spec.down_until is not None and self.clock() < spec.down_until:
            return spec
        return None

    def draw_error(self, department: Department) -> int | None:
        """500 or 503 for this request, or None; draws only when an error rate is set, so that
        the sequence of a test's requests is the same on every run."""
        spec = self._specs.get(department)
        if spec is None or spec.error_rate <= 0:
            return None
        rng = self._rngs[department]
        if rng.random() < spec.error_rate:
            return rng.choice((500, 503))
        return None


def _sample_records(as_of: date) -> PersonRecords:
    """One record of every kind, inside the query window, to corrupt when the answer is empty."""
    month = months_before(as_of, 1)[0]
    year_ago = as_of - timedelta(days=365)
    return PersonRecords(
        incomes=[
            Income(month, IncomeSource.SALARY, 320_000, "广州珠江物流有限公司"),
            Income(month, IncomeSource.PENSION, 280_000, "广州市社会保险基金管理中心"),
        ],
        settlements=[Settlement(as_of - timedelta(days=10), 500_000, 300_000)],
        properties=[Property("residential", 60.0, year_ago, 250_000_000)],
        vehicles=[Vehicle("K33", year_ago, 10_000_000)],
        businesses=[Business("海珠区珠江便利店", year_ago, 5_000_000)],
        housing_fund=[HousingFundAccount(year_ago, 3_000_000)],
        holdings=[Holding("中国工商银行", "deposit", 1_000_000)],
    )


def _first(department: Department, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the person entry, the record) of the first record in `data`."""
    path = RECORD_PATHS[department]
    for outer in data.get(path[0], []):
        if len(path) == 1:
            return outer, outer
        for record in outer.get(path[1], []):
            return outer, record
    return None


def _bad_date(field: str, as_of: date, future: bool) -> str:
    if future:
        later = as_of + timedelta(days=400)
        return {"period": f"{later:%Y-%m}", "month": f"{later:%Y%m}"}.get(field, later.isoformat())
    return {"period": f"{as_of.year}-13", "month": f"{as_of.year}13"}.get(field, f"{as_of.year}-02-30")


def corrupt(
    department: Department, data: dict[str, Any], kind: BadDataKind, first_id: str, as_of: date
) -> Any:
    """A malformed copy of a department's `data`. An empty answer is corrupted too: the department
    then returns a made-up record for the first person asked about."""
    data = copy.deepcopy(data)
    found = _first(department, data)
    if found is None:
        data = BUILDERS[department]([(first_id, _sample_records(as_of))], Window.of(as_of, 1))
        found = _first(department, data)
        assert found is not None
    person, record = found
    amount, when = AMOUNT_FIELDS[department], DATE_FIELDS[department]
    if kind == "wrong_type":
        record[amount] = float(record[amount]) + 0.5  # a JSON number, not a string of 元
    elif kind == "negative_amount":
        record[amount] = "-" + record[amount] if record[amount].strip("0.") else "-100.00"
    elif kind in ("impossible_date", "future_date"):
        record[when] = _bad_date(when, as_of, future=kind == "future_date")
    elif kind == "missing_field":
        del record[amount]
    elif kind == "foreign_person":
        key = "owner_id_number" if "owner_id_number" in person else "id_number"
        person[key] = FOREIGN_ID_NUMBER
    return data
