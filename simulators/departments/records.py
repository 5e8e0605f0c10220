"""What the departments hold about one person, in the simulator's own terms (amounts in fen).

These are plain dataclasses: the population generator builds thousands of them on demand, and the
admin API accepts them as they are (FastAPI validates dataclass fields through Pydantic) to plant
specific households.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]  # YYYY-MM
Fen = Annotated[int, Field(ge=0)]


class IncomeSource(StrEnum):
    SALARY = "salary"  # 工资薪金 (税务)
    LABOR_SERVICE = "labor_service"  # 劳务报酬: flexible work (税务)
    BUSINESS = "business"  # 经营所得 (税务)
    PROPERTY_LEASE = "property_lease"  # 财产租赁所得 (税务)
    PENSION = "pension"  # 养老金 (人社)
    UNEMPLOYMENT = "unemployment"  # 失业保险金 (人社)


TAX_SOURCES = frozenset(
    {IncomeSource.SALARY, IncomeSource.LABOR_SERVICE, IncomeSource.BUSINESS, IncomeSource.PROPERTY_LEASE}
)
BENEFIT_SOURCES = frozenset({IncomeSource.PENSION, IncomeSource.UNEMPLOYMENT})

PropertyUsage = Literal["residential", "commercial", "land"]
VehicleTypeCode = Literal["K33", "K31", "H31", "M22"]  # GA 24.4 vehicle type codes
VEHICLE_TYPE_NAMES: dict[str, str] = {
    "K33": "小型轿车",
    "K31": "小型普通客车",
    "H31": "轻型普通货车",
    "M22": "普通二轮摩托车",
}


@dataclass(frozen=True, slots=True)
class Income:
    month: Month
    source: IncomeSource
    amount_fen: Fen
    payer: str = ""


@dataclass(frozen=True, slots=True)
class Settlement:
    """One settled hospital bill (医保结算单)."""

    settled_on: date
    total_fen: Fen
    fund_paid_fen: Fen  # 统筹基金支付
    medical_aid_fen: Fen = 0  # 医疗救助
    hospital: str = "社区卫生服务中心"


@dataclass(frozen=True, slots=True)
class Property:
    usage: PropertyUsage
    area_m2: Annotated[float, Field(gt=0)]
    registered_on: date
    value_fen: Fen


@dataclass(frozen=True, slots=True)
class Vehicle:
    type_code: VehicleTypeCode
    registered_on: date
    value_fen: Fen


@dataclass(frozen=True, slots=True)
class Business:
    name: str
    established_on: date
    capital_fen: Fen
    entity_type: Literal["individual", "company"] = "individual"
    role: Literal["operator", "legal_representative", "shareholder"] = "operator"
    status: Literal["active", "revoked", "deregistered"] = "active"


@dataclass(frozen=True, slots=True)
class HousingFundAccount:
    opened_on: date
    balance_fen: Fen
    monthly_deposit_fen: Fen = 0
    status: Literal["normal", "sealed", "closed"] = "normal"


@dataclass(frozen=True, slots=True)
class Holding:
    institution: str
    product: Literal["deposit", "securities", "fund", "wealth_management"]
    balance_fen: Fen


@dataclass(slots=True)
class PersonRecords:
    incomes: list[Income] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    businesses: list[Business] = field(default_factory=list)
    housing_fund: list[HousingFundAccount] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
