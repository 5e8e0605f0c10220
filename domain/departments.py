"""The contract between the data cross-check (信息核对) and the departments' systems.

One adapter per department implements `DepartmentAdapter`; the simulator and a real department
service are interchangeable behind it. Results are per household member *index* (the order of the
members in the application), never by ID number, so they can travel through workflow history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol


class Department(StrEnum):
    TAX = "tax"  # 税务
    SOCIAL_INSURANCE = "social_insurance"  # 人社
    MEDICAL_INSURANCE = "medical_insurance"  # 医保
    REAL_ESTATE = "real_estate"  # 不动产登记
    VEHICLES = "vehicles"  # 车辆登记（公安交管）
    BUSINESS = "business"  # 市场监管（工商登记）
    HOUSING_FUND = "housing_fund"  # 住房公积金
    DEPOSITS = "deposits"  # 金融（存款、证券）


DEPARTMENT_LABELS: dict[Department, str] = {
    Department.TAX: "税务部门",
    Department.SOCIAL_INSURANCE: "人社部门",
    Department.MEDICAL_INSURANCE: "医保部门",
    Department.REAL_ESTATE: "不动产登记机构",
    Department.VEHICLES: "车辆登记机关",
    Department.BUSINESS: "市场监管部门",
    Department.HOUSING_FUND: "住房公积金中心",
    Department.DEPOSITS: "金融机构",
}


@dataclass(frozen=True)
class MonthlyIncome:
    member: int  # index into the application's member list
    month: str  # YYYY-MM
    amount_fen: int
    kind: str  # wage, pension, unemployment, business, rent, other


@dataclass(frozen=True)
class MedicalBill:
    member: int
    billed_on: date
    total_fen: int
    reimbursed_fen: int  # paid by medical insurance / medical aid

    @property
    def out_of_pocket_fen(self) -> int:
        return self.total_fen - self.reimbursed_fen


@dataclass(frozen=True)
class Asset:
    member: int
    kind: str  # house, shop, land, vehicle, business, deposit, securities, housing_fund
    registered_on: date | None  # registration date (property, vehicle, business); None for balances
    value_fen: int
    description: str = ""  # e.g. "住宅 86㎡" or "小型汽车" — no plate or certificate numbers


@dataclass
class DepartmentResult:
    department: Department
    incomes: list[MonthlyIncome] = field(default_factory=list)
    medical_bills: list[MedicalBill] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)


class DepartmentUnavailable(Exception):
    """The department could not be reached or answered with a server error: retry later."""


class DepartmentBadData(Exception):
    """The department answered, but with data that cannot be right (schema, impossible values):
    retrying will not help; a person has to look at it."""


class DepartmentAdapter(Protocol):
    department: Department

    async def query(self, id_numbers: list[str], months: int, as_of: date) -> DepartmentResult:
        """Records of these people: incomes of the `months` months before `as_of`, bills of the
        last 12 months, current assets. `id_numbers[i]` is household member i. Raises
        DepartmentUnavailable or DepartmentBadData."""
        ...
