"""docker-compose.yml cannot be run here (no Docker engine), so check it against the code:
services, commands, ports and the environment variables the settings actually read."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from infra.settings import Settings

REPO = Path(__file__).resolve().parents[2]
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def _interpolate(value: Any) -> Any:
    """Compose's ${VAR:-default} with an empty environment, as on a first start."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: m.group(2) or "", value)
    if isinstance(value, dict):
        return {k: _interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v) for v in value]
    return value


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    return dict(_interpolate(data["services"]))


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "use the mapping form for environment"
    return {k: str(v) for k, v in env.items()}


def test_all_production_services_are_there(services: dict[str, Any]) -> None:
    assert {"postgres", "temporal", "temporal-ui", "migrate", "api", "worker"} <= set(services)


def test_app_services_set_only_variables_the_settings_read(services: dict[str, Any]) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in ("api", "worker", "migrate"):
        env = _env(services[name])
        assert set(env) <= known, f"{name}: unknown variables {set(env) - known}"
        for required in ("DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE"):
            assert required in env, f"{name} lacks {required}"
        # The settings object accepts the values as they are.
        Settings(**{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]


def test_database_url_points_at_the_postgres_service(services: dict[str, Any]) -> None:
    pg = _env(services["postgres"])
    url = urlsplit(_env(services["api"])["DATABASE_URL"])
    assert url.scheme == "postgresql+asyncpg"
    assert url.hostname == "postgres" and url.port == 5432
    assert url.username == pg["POSTGRES_USER"] and url.password == pg["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == pg["POSTGRES_DB"]
    temporal = _env(services["temporal"])
    assert temporal["POSTGRES_SEEDS"] == "postgres"
    assert (
        temporal["POSTGRES_USER"] == pg["POSTGRES_USER"]
        and temporal["POSTGRES_PWD"] == pg["POSTGRES_PASSWORD"]
    )


def test_temporal_addresses_and_ports_agree(services: dict[str, Any]) -> None:
    temporal_ports = {p.split(":")[-1] for p in services["temporal"]["ports"]}
    for name in ("api", "worker", "temporal-ui"):
        host, port = _env(services[name])["TEMPORAL_ADDRESS"].split(":")
        assert host == "temporal" and port in temporal_ports
    api_env = _env(services["api"])
    assert f"{api_env['API_PORT']}:{api_env['API_PORT']}" in services["api"]["ports"]
    assert api_env["API_HOST"] == "0.0.0.0"  # reachable from outside the container
    assert any(p.endswith(":8080") for p in services["temporal-ui"]["ports"])
    assert _env(services["temporal"])["DEFAULT_NAMESPACE"] == _env(services["api"])["TEMPORAL_NAMESPACE"]


def test_commands_name_real_entry_points_and_start_in_order(services: dict[str, Any]) -> None:
    for name, module in (("api", "api.main"), ("worker", "workers.main"), ("migrate", "infra.migrate")):
        assert services[name]["command"] == ["python", "-m", module]
        assert importlib.util.find_spec(module) is not None
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (REPO / "Dockerfile").is_file()
