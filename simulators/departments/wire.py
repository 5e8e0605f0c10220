"""The departments' wire format, as the simulator writes it.

Every answer is an envelope `{"code", "message", "request_id", "department", "responded_at",
"data"}` — the shape of the provincial data-sharing exchange (数据共享交换平台) — with code "0000" for
success. Amounts are strings of 元 with two decimals ("2300.00"), as the exchange carries money.
Each department has its own `data` layout (see README, "Department data"); only people with records
appear in it. The adapters in `infra/departments/` read this format without importing this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.departments import Department
from simulators.departments.profiles import months_before
from simulators.departments.records import (
    BENEFIT_SOURCES,
    TAX_SOURCES,
    VEHICLE_TYPE_NAMES,
    PersonRecords,
)

SUCCESS = "0000"
# code → (HTTP status, message)
ERRORS: dict[str, tuple[int, str]] = {
    "4000": (400, "请求参数错误"),
    "4010": (401, "接口密钥无效或缺失"),
    "4040": (404, "接口不存在"),
    "5000": (500, "系统内部错误"),
    "5030": (503, "服务暂不可用，请稍后重试"),
}
# Where each department's records sit inside `data`, and the fields fault injection corrupts.
RECORD_PATHS: dict[Department, tuple[str, ...]] = {
    Department.TAX: ("persons", "incomes"),
    Department.SOCIAL_INSURANCE: ("insured", "benefits"),
    Department.MEDICAL_INSURANCE: ("settlements",),
    Department.REAL_ESTATE: ("rights",),
    Department.VEHICLES: ("vehicles",),
    Department.BUSINESS: ("entities",),
    Department.HOUSING_FUND: ("accounts",),
    Department.DEPOSITS: ("holdings",),
}
AMOUNT_FIELDS: dict[Department, str] = {
    Department.TAX: "amount",
    Department.SOCIAL_INSURANCE: "amount",
    Department.MEDICAL_INSURANCE: "total",
    Department.REAL_ESTATE: "assessed_value",
    Department.VEHICLES: "assessed_value",
    Department.BUSINESS: "registered_capital",
    Department.HOUSING_FUND: "balance",
    Department.DEPOSITS: "balance",
}
DATE_FIELDS: dict[Department, str] = {
    Department.TAX: "period",
    Department.SOCIAL_INSURANCE: "month",
    Department.MEDICAL_INSURANCE: "settled_on",
    Department.REAL_ESTATE: "registered_on",
    Department.VEHICLES: "registered_on",
    Department.BUSINESS: "established_on",
    Department.HOUSING_FUND: "opened_on",
    Department.DEPOSITS: "valued_on",
}


@dataclass(frozen=True)
class Window:
    """What a query asks for: incomes of the `months` months before as_of's month, bills of the
    last 12 months, assets registered by as_of."""

    as_of: date
    months: frozenset[str]

    @classmethod
    def of(cls, as_of: date, months: int) -> Window:
        return cls(as_of, frozenset(months_before(as_of, months)))

    def billed(self, day: date) -> bool:
        return self.as_of - timedelta(days=365) < day <= self.as_of


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def envelope(
    code: str, request_id: str, department: str, now: datetime, data: Any = None, detail: str = ""
) -> dict[str, Any]:
    message = "查询成功" if code == SUCCESS else ERRORS[code][1]
    if detail:
        message = f"{message}：{detail}"
    return {
        "code": code,
        "message": message,
        "request_id": request_id,
        "department": department,
        "responded_at": now.isoformat(timespec="seconds"),
        "data": data,
    }


People = list[tuple[str, PersonRecords]]


def _tax(people: People, w: Window) -> dict[str, Any]:
    persons = []
    for id_number, rec in people:
        items = [
            {"period": i.month, "item": i.source.value, "amount": yuan(i.amount_fen), "payer": i.payer}
            for i in rec.incomes
            if i.source in TAX_SOURCES and i.month in w.months
        ]
        if items:
            persons.append({"id_number": id_number, "incomes": items})
    return {"persons": persons}


def _social_insurance(people: People, w: Window) -> dict[str, Any]:
    insured = []
    for id_number, rec in people:
        items = [
            {"month": i.month.replace("-", ""), "benefit_type": i.source.value, "amount": yuan(i.amount_fen)}
            for i in rec.incomes
            if i.source in BENEFIT_SOURCES and i.month in w.months
        ]
        if items:
            insured.append({"id_number": id_number, "benefits": items})
    return {"insured": insured}


def _medical(people: People, w: Window) -> dict[str, Any]:
    return {
        "settlements": [
            {
                "id_number": id_number,
                "settled_on": s.settled_on.isoformat(),
                "hospital": s.hospital,
                "total": yuan(s.total_fen),
                "fund_paid": yuan(s.fund_paid_fen),
                "medical_aid_paid": yuan(s.medical_aid_fen),
                "self_paid": yuan(s.total_fen - s.fund_paid_fen - s.medical_aid_fen),
            }
            for id_number, rec in people
            for s in rec.settlements
            if w.billed(s.settled_on)
        ]
    }


def _real_estate(people: People, w: Window) -> dict[str, Any]:
    return {
        "rights": [
            {
                "owner_id_number": id_number,
                "usage": p.usage,
                "area_m2": f"{p.area_m2:.2f}",
                "registered_on": p.registered_on.isoformat(),
                "assessed_value": yuan(p.value_fen),
            }
            for id_number, rec in people
            for p in rec.properties
            if p.registered_on <= w.as_of
        ]
    }


def _vehicles(people: People, w: Window) -> dict[str, Any]:
    return {
        "vehicles": [
            {
                "owner_id_number": id_number,
                "vehicle_type_code": v.type_code,
                "vehicle_type_name": VEHICLE_TYPE_NAMES[v.type_code],
                "registered_on": v.registered_on.isoformat(),
                "assessed_value": yuan(v.value_fen),
            }
            for id_number, rec in people
            for v in rec.vehicles
            if v.registered_on <= w.as_of
        ]
    }


def _business(people: People, w: Window) -> dict[str, Any]:
    return {
        "entities": [
            {
                "id_number": id_number,
                "role": b.role,
                "entity_name": b.name,
                "entity_type": b.entity_type,
                "established_on": b.established_on.isoformat(),
                "registered_capital": yuan(b.capital_fen),
                "status": b.status,
            }
            for id_number, rec in people
            for b in rec.businesses
            if b.established_on <= w.as_of
        ]
    }


def _housing_fund(people: People, w: Window) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "id_number": id_number,
                "status": a.status,
                "opened_on": a.opened_on.isoformat(),
                "balance": yuan(a.balance_fen),
                "monthly_deposit": yuan(a.monthly_deposit_fen),
            }
            for id_number, rec in people
            for a in rec.housing_fund
            if a.opened_on <= w.as_of
        ]
    }


def _deposits(people: People, w: Window) -> dict[str, Any]:
    return {
        "holdings": [
            {
                "id_number": id_number,
                "institution": h.institution,
                "product": h.product,
                "balance": yuan(h.balance_fen),
                "valued_on": w.as_of.isoformat(),
            }
            for id_number, rec in people
            for h in rec.holdings
        ]
    }


BUILDERS: dict[Department, Callable[[People, Window], dict[str, Any]]] = {
    Department.TAX: _tax,
    Department.SOCIAL_INSURANCE: _social_insurance,
    Department.MEDICAL_INSURANCE: _medical,
    Department.REAL_ESTATE: _real_estate,
    Department.VEHICLES: _vehicles,
    Department.BUSINESS: _business,
    Department.HOUSING_FUND: _housing_fund,
    Department.DEPOSITS: _deposits,
}
