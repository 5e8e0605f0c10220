"""The departments' wire format, as the adapters read it (README, "Department data").

Every answer is an envelope — `code` ("0000" = success), `message`, `request_id` (echoed),
`department`, `responded_at`, `data` — around a department-specific `data`. Money travels as
strings of 元 with at most two decimals. The models validate strictly from the JSON bytes, with the
query date in the validation context, so that a wrong type, a negative amount, an impossible or a
future date fails validation with the path of the offending field.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

SUCCESS = "0000"
# ASCII digits only ([0-9], never \d): Decimal() and int() also read full-width and other digits.
_YUAN = re.compile(r"-?[0-9]{1,13}(\.[0-9]{1,2})?", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


def _fen(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError('金额应为以元计的字符串，如 "2300.00" (amount must be a string of yuan)')
    if not _YUAN.fullmatch(value):
        raise ValueError("金额格式错误 (malformed amount)")
    if value.startswith("-"):
        raise ValueError("金额不能为负数 (negative amount)")
    return int(Decimal(value) * 100)


def _decimal(value: object) -> float:
    if not isinstance(value, str) or not _YUAN.fullmatch(value) or value.startswith("-"):
        raise ValueError("应为非负的十进制数字字符串 (must be a non-negative decimal string)")
    return float(value)


def _as_of(info: ValidationInfo) -> date | None:
    context = info.context or {}
    as_of = context.get("as_of")
    return as_of if isinstance(as_of, date) else None


def _not_after_query(value: date, info: ValidationInfo) -> date:
    as_of = _as_of(info)
    if as_of is not None and value > as_of:
        raise ValueError("日期晚于查询日期，不可能成立 (date after the query date)")
    return value


def _month(value: str, info: ValidationInfo) -> str:
    match = _MONTH.fullmatch(value)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError("月份无效，应为 YYYY-MM (invalid month)")
    as_of = _as_of(info)
    if as_of is not None and value > f"{as_of:%Y-%m}":
        raise ValueError("月份晚于查询日期，不可能成立 (month after the query date)")
    return value


def _compact_month(value: object) -> object:
    """人社 writes months as YYYYMM; normalised to YYYY-MM before the month check."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{6}", value):
        return f"{value[:4]}-{value[4:]}"
    return value


Fen = Annotated[int, BeforeValidator(_fen)]
SquareMetres = Annotated[float, BeforeValidator(_decimal)]
PastDate = Annotated[date, AfterValidator(_not_after_query)]
Month = Annotated[str, AfterValidator(_month)]
CompactMonth = Annotated[str, AfterValidator(_month), BeforeValidator(_compact_month)]
IdNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9Xx]$")]


class WireModel(BaseModel):
    # Fields the department adds later are ignored; missing or mistyped ones are errors.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Envelope(WireModel):
    code: str
    message: str = ""
    request_id: str = ""
    department: str = ""


# 税务: income tax records per person.
class TaxIncome(WireModel):
    period: Month
    item: Literal["salary", "labor_service", "business", "property_lease", "other"]
    amount: Fen
    payer: str = ""


class Taxpayer(WireModel):
    id_number: IdNumber
    incomes: list[TaxIncome]


class TaxData(WireModel):
    persons: list[Taxpayer]


class TaxResponse(Envelope):
    data: TaxData | None = None


# 人社: pensions and unemployment benefits paid.
class Benefit(WireModel):
    month: CompactMonth
    benefit_type: Literal["pension", "unemployment"]
    amount: Fen


class Insured(WireModel):
    id_number: IdNumber
    benefits: list[Benefit]


class SocialInsuranceData(WireModel):
    insured: list[Insured]


class SocialInsuranceResponse(Envelope):
    data: SocialInsuranceData | None = None


# 医保: settled bills.
class MedicalSettlement(WireModel):
    id_number: IdNumber
    settled_on: PastDate
    hospital: str = ""
    total: Fen
    fund_paid: Fen
    medical_aid_paid: Fen = 0

    @model_validator(mode="after")
    def _reimbursed_within_total(self) -> MedicalSettlement:
        if self.fund_paid + self.medical_aid_paid > self.total:
            raise ValueError("报销金额超过总费用 (reimbursed more than the total)")
        return self


class MedicalData(WireModel):
    settlements: list[MedicalSettlement]


class MedicalResponse(Envelope):
    data: MedicalData | None = None


# 不动产登记: registered rights.
class RealEstateRight(WireModel):
    owner_id_number: IdNumber
    usage: Literal["residential", "commercial", "land"]
    area_m2: SquareMetres
    registered_on: PastDate
    assessed_value: Fen


class RealEstateData(WireModel):
    rights: list[RealEstateRight]


class RealEstateResponse(Envelope):
    data: RealEstateData | None = None


# 车辆登记 (公安交管).
class VehicleRegistration(WireModel):
    owner_id_number: IdNumber
    vehicle_type_code: str
    vehicle_type_name: str = ""
    registered_on: PastDate
    assessed_value: Fen


class VehicleData(WireModel):
    vehicles: list[VehicleRegistration]


class VehicleResponse(Envelope):
    data: VehicleData | None = None


# 市场监管: businesses a person runs, represents or holds shares in.
class BusinessEntity(WireModel):
    id_number: IdNumber
    role: Literal["operator", "legal_representative", "shareholder"]
    entity_name: str = ""
    entity_type: Literal["individual", "company"]
    established_on: PastDate
    registered_capital: Fen
    status: Literal["active", "revoked", "deregistered"]


class BusinessData(WireModel):
    entities: list[BusinessEntity]


class BusinessResponse(Envelope):
    data: BusinessData | None = None


# 住房公积金.
class FundAccount(WireModel):
    id_number: IdNumber
    status: Literal["normal", "sealed", "closed"]
    opened_on: PastDate
    balance: Fen
    monthly_deposit: Fen = 0


class HousingFundData(WireModel):
    accounts: list[FundAccount]


class HousingFundResponse(Envelope):
    data: HousingFundData | None = None


# 金融: deposits and securities.
class FinancialHolding(WireModel):
    id_number: IdNumber
    institution: str = ""
    product: Literal["deposit", "securities", "fund", "wealth_management"]
    balance: Fen
    valued_on: PastDate


class DepositData(WireModel):
    holdings: list[FinancialHolding]


class DepositResponse(Envelope):
    data: DepositData | None = None
