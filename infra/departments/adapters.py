"""One adapter per department: the department's `data`, mapped onto the contract's records.

Mappings follow the 低保 income rules: 劳务报酬 counts as wage income (工资性收入); bills count
what medical insurance and medical aid paid as reimbursed; a business that is no longer active
and a closed housing-fund account are not assets. Descriptions carry no certificate, plate or
account numbers, since results travel through workflow history.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.departments import Asset, Department, DepartmentResult, MedicalBill, MonthlyIncome
from infra.departments.base import HttpDepartmentAdapter, Members, months_before
from infra.departments.wire import (
    BusinessResponse,
    DepositResponse,
    HousingFundResponse,
    MedicalResponse,
    RealEstateResponse,
    SocialInsuranceResponse,
    TaxResponse,
    VehicleResponse,
)

_TAX_KINDS = {
    "salary": "wage",
    "labor_service": "wage",
    "business": "business",
    "property_lease": "rent",
    "other": "other",
}
_PROPERTY_KINDS = {
    "residential": ("house", "住宅"),
    "commercial": ("shop", "商业用房"),
    "land": ("land", "土地"),
}
_ENTITY_LABELS = {"individual": "个体工商户", "company": "企业"}
_ROLE_LABELS = {"operator": "经营者", "legal_representative": "法定代表人", "shareholder": "股东"}
_FUND_LABELS = {"normal": "正常缴存", "sealed": "封存"}
_PRODUCTS = {
    "deposit": ("deposit", "存款"),
    "securities": ("securities", "证券"),
    "fund": ("securities", "基金"),
    "wealth_management": ("securities", "理财产品"),
}


class TaxAdapter(HttpDepartmentAdapter[TaxResponse]):
    department = Department.TAX
    response_model = TaxResponse

    def _map(self, response: TaxResponse, members: Members, months: int, as_of: date) -> DepartmentResult:
        window = months_before(as_of, months)
        result = DepartmentResult(self.department)
        for i, person in enumerate(self._data(response.data).persons):
            member = members(person.id_number, f"data.persons[{i}].id_number")
            result.incomes += [
                MonthlyIncome(member, item.period, item.amount, _TAX_KINDS[item.item])
                for item in person.incomes
                if item.period in window
            ]
        return result


class SocialInsuranceAdapter(HttpDepartmentAdapter[SocialInsuranceResponse]):
    department = Department.SOCIAL_INSURANCE
    response_model = SocialInsuranceResponse

    def _map(
        self, response: SocialInsuranceResponse, members: Members, months: int, as_of: date
    ) -> DepartmentResult:
        window = months_before(as_of, months)
        result = DepartmentResult(self.department)
        for i, person in enumerate(self._data(response.data).insured):
            member = members(person.id_number, f"data.insured[{i}].id_number")
            result.incomes += [
                MonthlyIncome(member, b.month, b.amount, b.benefit_type)
                for b in person.benefits
                if b.month in window
            ]
        return result


class MedicalInsuranceAdapter(HttpDepartmentAdapter[MedicalResponse]):
    department = Department.MEDICAL_INSURANCE
    response_model = MedicalResponse

    def _map(self, response: MedicalResponse, members: Members, months: int, as_of: date) -> DepartmentResult:
        since = as_of - timedelta(days=365)  # the contract: bills of the last 12 months
        result = DepartmentResult(self.department)
        for i, s in enumerate(self._data(response.data).settlements):
            member = members(s.id_number, f"data.settlements[{i}].id_number")
            if s.settled_on > since:
                result.medical_bills.append(
                    MedicalBill(member, s.settled_on, s.total, s.fund_paid + s.medical_aid_paid)
                )
        return result


class RealEstateAdapter(HttpDepartmentAdapter[RealEstateResponse]):
    department = Department.REAL_ESTATE
    response_model = RealEstateResponse

    def _map(
        self, response: RealEstateResponse, members: Members, months: int, as_of: date
    ) -> DepartmentResult:
        result = DepartmentResult(self.department)
        for i, right in enumerate(self._data(response.data).rights):
            member = members(right.owner_id_number, f"data.rights[{i}].owner_id_number")
            kind, label = _PROPERTY_KINDS[right.usage]
            description = f"{label} {right.area_m2:g}㎡"
            result.assets.append(Asset(member, kind, right.registered_on, right.assessed_value, description))
        return result


class VehiclesAdapter(HttpDepartmentAdapter[VehicleResponse]):
    department = Department.VEHICLES
    response_model = VehicleResponse

    def _map(self, response: VehicleResponse, members: Members, months: int, as_of: date) -> DepartmentResult:
        result = DepartmentResult(self.department)
        for i, v in enumerate(self._data(response.data).vehicles):
            member = members(v.owner_id_number, f"data.vehicles[{i}].owner_id_number")
            description = v.vehicle_type_name or f"机动车（{v.vehicle_type_code}）"
            result.assets.append(Asset(member, "vehicle", v.registered_on, v.assessed_value, description))
        return result


class BusinessAdapter(HttpDepartmentAdapter[BusinessResponse]):
    department = Department.BUSINESS
    response_model = BusinessResponse

    def _map(
        self, response: BusinessResponse, members: Members, months: int, as_of: date
    ) -> DepartmentResult:
        result = DepartmentResult(self.department)
        for i, e in enumerate(self._data(response.data).entities):
            member = members(e.id_number, f"data.entities[{i}].id_number")
            if e.status != "active":
                continue
            description = f"{_ENTITY_LABELS[e.entity_type]}{_ROLE_LABELS[e.role]}"
            result.assets.append(
                Asset(member, "business", e.established_on, e.registered_capital, description)
            )
        return result


class HousingFundAdapter(HttpDepartmentAdapter[HousingFundResponse]):
    department = Department.HOUSING_FUND
    response_model = HousingFundResponse

    def _map(
        self, response: HousingFundResponse, members: Members, months: int, as_of: date
    ) -> DepartmentResult:
        result = DepartmentResult(self.department)
        for i, a in enumerate(self._data(response.data).accounts):
            member = members(a.id_number, f"data.accounts[{i}].id_number")
            if a.status == "closed":
                continue
            description = f"住房公积金（{_FUND_LABELS[a.status]}）"
            result.assets.append(Asset(member, "housing_fund", None, a.balance, description))
        return result


class DepositsAdapter(HttpDepartmentAdapter[DepositResponse]):
    department = Department.DEPOSITS
    response_model = DepositResponse

    def _map(self, response: DepositResponse, members: Members, months: int, as_of: date) -> DepartmentResult:
        result = DepartmentResult(self.department)
        for i, h in enumerate(self._data(response.data).holdings):
            member = members(h.id_number, f"data.holdings[{i}].id_number")
            kind, label = _PRODUCTS[h.product]
            description = f"{h.institution} {label}".strip()
            result.assets.append(Asset(member, kind, None, h.balance, description))
        return result
