"""Where a county's adapters send each department's queries, and with which key.

`DEPARTMENT_ENDPOINTS` and `DEPARTMENT_API_KEYS` (infra/settings.py) name entries by
"<county>/<department>", "<county>" or "<department>"; the first of these that exists wins, then
`DEPARTMENT_BASE_URL` for the address. A county that routes everything through its own exchange
sets "<county>"; a county with its own registry for one department sets "<county>/<department>".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.departments import Department
from infra.settings import Settings


@dataclass(frozen=True)
class DepartmentEndpoint:
    department: Department
    url: str  # the full query URL: <base>/<department>/v1/query
    api_key: str
    api_key_header: str
    timeout_seconds: float


def _most_specific(mapping: Mapping[str, str], department: Department, county_code: str) -> str | None:
    for name in (f"{county_code}/{department.value}", county_code, department.value):
        if name in mapping:
            return mapping[name]
    return None


def resolve_endpoint(settings: Settings, department: Department, county_code: str) -> DepartmentEndpoint:
    base = (
        _most_specific(settings.department_endpoints, department, county_code) or settings.department_base_url
    )
    # The settings refuse to load without a key for every department, so one is always found.
    api_key = _most_specific(settings.department_api_keys, department, county_code) or ""
    return DepartmentEndpoint(
        department=department,
        url=f"{base.rstrip('/')}/{department.value}/v1/query",
        api_key=api_key,
        api_key_header=settings.department_api_key_header,
        timeout_seconds=settings.department_timeout_seconds,
    )
