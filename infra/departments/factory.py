"""Wiring: the HTTP client the worker owns, and a county's eight adapters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from domain.departments import Department, DepartmentAdapter
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
from infra.departments.base import HttpDepartmentAdapter
from infra.departments.endpoints import resolve_endpoint
from infra.settings import Settings

ADAPTER_CLASSES: dict[Department, type[HttpDepartmentAdapter[Any]]] = {
    cls.department: cls
    for cls in (
        TaxAdapter,
        SocialInsuranceAdapter,
        MedicalInsuranceAdapter,
        RealEstateAdapter,
        VehiclesAdapter,
        BusinessAdapter,
        HousingFundAdapter,
        DepositsAdapter,
    )
}


def make_department_http_client(settings: Settings) -> httpx.AsyncClient:
    """One pooled client for all departments, owned (and closed) by the worker."""
    return httpx.AsyncClient(
        timeout=settings.department_timeout_seconds,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        headers={"User-Agent": "social-assistance-data-check/1"},
        follow_redirects=False,  # a redirect means a wrong base URL; it is reported, not followed
    )


def make_department_adapters(
    settings: Settings, http_client: httpx.AsyncClient, county_code: str
) -> dict[Department, DepartmentAdapter]:
    """The eight adapters a county's data check uses, each at its configured endpoint."""
    return {
        department: cls(http_client, resolve_endpoint(settings, department, county_code))
        for department, cls in ADAPTER_CLASSES.items()
    }


def department_adapter_factory(
    settings: Settings, http_client: httpx.AsyncClient
) -> Callable[[str], Mapping[Department, DepartmentAdapter]]:
    """county code → its adapters, built once per county: what `DataCheckActivities` takes."""
    built: dict[str, dict[Department, DepartmentAdapter]] = {}

    def for_county(county_code: str) -> Mapping[Department, DepartmentAdapter]:
        if county_code not in built:
            built[county_code] = make_department_adapters(settings, http_client, county_code)
        return built[county_code]

    return for_county
