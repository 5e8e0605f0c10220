"""Department endpoints per county, API keys, and the settings that name them."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from domain.departments import Department
from infra.departments import (
    ADAPTER_CLASSES,
    department_adapter_factory,
    make_department_adapters,
    resolve_endpoint,
)
from infra.settings import load_settings

DEV_KEYS = {d.value: f"dev-{d.value}-key" for d in Department}


def test_the_most_specific_endpoint_and_key_win() -> None:
    settings = load_settings(
        department_base_url="http://province.example/",
        department_endpoints={
            "tax": "https://tax.example",
            "440106": "https://tianhe-hub.example",
            "440106/real_estate": "https://tianhe-bdc.example/exchange/",
        },
        department_api_keys=DEV_KEYS | {"440106/real_estate": "bdc-key", "440106": "hub-key"},
        department_timeout_seconds=4.5,
    )

    def at(department: Department, county: str) -> tuple[str, str]:
        endpoint = resolve_endpoint(settings, department, county)
        return endpoint.url, endpoint.api_key

    assert at(Department.VEHICLES, "440105") == (
        "http://province.example/vehicles/v1/query",
        "dev-vehicles-key",
    )
    assert at(Department.TAX, "440105") == ("https://tax.example/tax/v1/query", "dev-tax-key")
    # A county's own exchange takes all its queries, its own registry takes one department's.
    assert at(Department.TAX, "440106") == ("https://tianhe-hub.example/tax/v1/query", "hub-key")
    assert at(Department.REAL_ESTATE, "440106") == (
        "https://tianhe-bdc.example/exchange/real_estate/v1/query",
        "bdc-key",
    )
    endpoint = resolve_endpoint(settings, Department.TAX, "440105")
    assert endpoint.api_key_header == "X-Api-Key" and endpoint.timeout_seconds == 4.5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("department_endpoints", {"lottery": "http://x"}),
        ("department_endpoints", {"44010/tax": "http://x"}),
        ("department_endpoints", {"440106/lottery": "http://x"}),
        ("department_api_keys", DEV_KEYS | {"bank": "k"}),
        ("department_api_keys", {"tax": "only-one"}),  # every department needs a key
    ],
)
def test_settings_refuse_unknown_names_and_missing_keys(field: str, value: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as raised:
        load_settings(**{field: value})
    assert "only-one" not in str(raised.value)  # secrets stay out of the error


def test_settings_read_the_mappings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPARTMENT_ENDPOINTS", '{"440106/tax": "https://tax.example"}')
    monkeypatch.setenv("DEPARTMENT_TIMEOUT_SECONDS", "2.5")
    settings = load_settings()
    assert settings.department_endpoints == {"440106/tax": "https://tax.example"}
    assert settings.department_timeout_seconds == 2.5
    assert settings.department_api_keys == DEV_KEYS  # the simulator's development keys


async def test_a_county_gets_one_adapter_per_department() -> None:
    settings = load_settings(department_endpoints={"440106": "https://tianhe.example"})
    async with httpx.AsyncClient() as client:
        adapters = make_department_adapters(settings, client, "440106")
        assert set(adapters) == set(Department)
        for department, adapter in adapters.items():
            assert adapter.department is department
            assert type(adapter) is ADAPTER_CLASSES[department]
        factory = department_adapter_factory(settings, client)
        assert factory("440106") is factory("440106")  # built once per county
        assert factory("440105") is not factory("440106")
