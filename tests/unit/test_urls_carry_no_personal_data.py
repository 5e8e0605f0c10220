"""Access logs record every URL with its query string: no route may take personal data there."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from infra.settings import load_settings


@pytest.fixture(scope="module")
def api_openapi() -> dict[str, Any]:
    document: dict[str, Any] = create_app(load_settings()).openapi()
    return document


@pytest.mark.parametrize("needle", ["id_number", "id_card", "phone", "mobile", "account"])
def test_no_route_takes_personal_data_in_its_url(api_openapi: dict[str, Any], needle: str) -> None:
    # Access logs record URLs with their query strings: personal data travels in bodies only. (A
    # literal segment such as /account names a resource; only parameters carry values.)
    for path, operations in api_openapi["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                assert needle not in parameter["name"].lower(), (path, parameter["name"])
