"""Adapters to the departments' data-exchange services (信息核对), one per department.

They speak HTTP to whatever the settings point at — the department simulator in development and
tests, the real services in production — and cannot tell the two apart.
"""

from infra.departments.adapters import (
    BusinessAdapter,
    DepositsAdapter,
    HousingFundAdapter,
    MedicalInsuranceAdapter,
    RealEstateAdapter,
    SocialInsuranceAdapter,
    TaxAdapter,
    VehiclesAdapter,
)
from infra.departments.base import DepartmentCredentialsRejected, HttpDepartmentAdapter
from infra.departments.endpoints import DepartmentEndpoint, resolve_endpoint
from infra.departments.factory import (
    ADAPTER_CLASSES,
    department_adapter_factory,
    make_department_adapters,
    make_department_http_client,
)

__all__ = [
    "ADAPTER_CLASSES",
    "BusinessAdapter",
    "DepartmentCredentialsRejected",
    "DepartmentEndpoint",
    "DepositsAdapter",
    "HousingFundAdapter",
    "HttpDepartmentAdapter",
    "MedicalInsuranceAdapter",
    "RealEstateAdapter",
    "SocialInsuranceAdapter",
    "TaxAdapter",
    "VehiclesAdapter",
    "department_adapter_factory",
    "make_department_adapters",
    "make_department_http_client",
    "resolve_endpoint",
]
