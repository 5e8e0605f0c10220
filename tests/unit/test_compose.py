"""docker-compose.yml cannot be run here (no Docker engine), so check it against the code:
services, commands, ports, mounts and the environment variables the settings actually read."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
import yaml

from domain.departments import Department
from infra.policy_config import load_policy_book
from infra.settings import (
    API_SECRETS,
    WORKER_SECRETS,
    Settings,
    UnsafeProductionSettings,
    refuse_development_secrets,
)

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
# Compose's forms: ${VAR}, ${VAR:-default} / ${VAR-default}, ${VAR:?message} / ${VAR?message}.
_VAR = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# What an operator must put in the .env (a placeholder here); everything else has a default.
JWT_PLACEHOLDER = "placeholder-jwt-secret-from-the-operators-env-file-0123456789"
DEPARTMENT_KEYS_PLACEHOLDER = json.dumps({d.value: f"prod-{d.value}-key" for d in Department})
REQUIRED_ENV = {
    "JWT_SECRET": JWT_PLACEHOLDER,
    "DEPARTMENT_BASE_URL": "https://exchange.example.gov.cn",
    "DEPARTMENT_API_KEYS": DEPARTMENT_KEYS_PLACEHOLDER,
    "PAYLOAD_KEYS": json.dumps({"2027-01": "cHJvZHVjdGlvbi1wbGFjZWhvbGRlci0zMi1ieXRlcyE="}),
    "PAYLOAD_ACTIVE_KEY": "2027-01",
    "PII_KEYS": json.dumps({"pii-2027": "cHJvZHVjdGlvbi1waWktcGxhY2Vob2xkZXItMzJieXQ="}),
    "PII_ACTIVE_KEY": "pii-2027",
    "PII_HASH_KEY": "cHJvZHVjdGlvbi1kaWdlc3QtcGxhY2Vob2xkZXItMzI=",
    "BANK_BASE_URL": "https://cbs.example-bank.com.cn/disbursement",
    "BANK_API_KEY": "prod-bank-key",
    "BANK_PAYER_ACCOUNT": "44050100000000009999",
    "SMS_BASE_URL": "https://sms.example-provider.com.cn",
    "SMS_API_KEY": "prod-sms-key",
    "WORKER_BUILD_ID": "2027.01.05-1",
}


def settings_from(env: dict[str, str]) -> Settings:
    """Load the settings from these variables exactly as the container's process would."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings(_env_file=None)  # type: ignore[call-arg]


class MissingVariable(Exception):
    pass


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation against `env`: a default applies when the variable is unset (with
    `:` also when empty); a required variable that is missing stops compose with its message."""
    if isinstance(value, str):

        def substitute(m: re.Match[str]) -> str:
            name, op, arg = m["name"], m["op"], m["arg"] or ""
            current = env.get(name)
            missing = current is None or (op is not None and op.startswith(":") and current == "")
            if op and op.endswith("?") and missing:
                raise MissingVariable(f"{name}: {arg}")
            if op and op.endswith("-") and missing:
                return arg
            return current or ""

        return _VAR.sub(substitute, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    return value


def _load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    """The services as a first start sees them: only the required variables set."""
    return dict(_interpolate(_load()["services"], REQUIRED_ENV))


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "use the mapping form for environment"
    return {k: str(v) for k, v in env.items()}


def test_all_production_services_are_there(services: dict[str, Any]) -> None:
    assert {
        "postgres",
        "temporal-schema",
        "temporal",
        "temporal-namespace",
        "temporal-ui",
        "migrate",
        "api",
        "worker",
    } <= set(services)


def test_app_services_set_only_variables_the_settings_read(services: dict[str, Any]) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in ("api", "worker", "migrate"):
        env = _env(services[name])
        assert set(env) <= known, f"{name}: unknown variables {set(env) - known}"
        for required in ("DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE"):
            assert required in env, f"{name} lacks {required}"
        # The settings object accepts the values as they are.
        settings_from(env)


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
    for name in ("api", "worker", "temporal-ui", "temporal-namespace"):
        host, port = _env(services[name])["TEMPORAL_ADDRESS"].split(":")
        assert host == "temporal" and port in temporal_ports
    api_env = _env(services["api"])
    # Two API instances: the container port published on a range of host ports, one each.
    [published] = services["api"]["ports"]
    host_ports, container_port = published.split(":")
    first, last = (int(p) for p in host_ports.split("-"))
    assert container_port == api_env["API_PORT"] and last - first + 1 == services["api"]["deploy"]["replicas"]
    assert api_env["API_HOST"] == "0.0.0.0"  # reachable from outside the container
    assert any(p.endswith(":8080") for p in services["temporal-ui"]["ports"])
    # The namespace the job creates is the one the API and the worker use.
    namespace = _env(services["temporal-namespace"])["TEMPORAL_NAMESPACE"]
    assert namespace == api_env["TEMPORAL_NAMESPACE"] == _env(services["worker"])["TEMPORAL_NAMESPACE"]


def test_commands_name_real_entry_points_and_start_in_order(services: dict[str, Any]) -> None:
    for name, module in (("api", "api.main"), ("worker", "workers.main"), ("migrate", "infra.migrate")):
        assert services[name]["command"] == ["python", "-m", module]
        assert importlib.util.find_spec(module) is not None
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        # … and only once the namespace and its search attributes exist (issue 12, item 2).
        done = services[name]["depends_on"]["temporal-namespace"]["condition"]
        assert done == "service_completed_successfully"
    assert (REPO / "Dockerfile").is_file()


def _version(image: str) -> str:
    return "v" + image.rsplit(":", 1)[1]


def test_temporal_is_the_server_image_on_a_schema_job_not_auto_setup(services: dict[str, Any]) -> None:
    """As `make run-production` runs it (issue 12, items 1-2): the server image, same version as the
    server scripts/toolchain.sh builds, its PostgreSQL schemas set up beforehand by the admin-tools
    image's SQL tool, on the databases the server is told to use."""
    assert not [name for name, svc in services.items() if "auto-setup" in str(svc.get("image", ""))]
    toolchain = (REPO / "scripts" / "toolchain.sh").read_text(encoding="utf-8")
    [built] = re.findall(r'TEMPORAL_SERVER_VERSION="\$\{TEMPORAL_SERVER_VERSION:-(v[\d.]+)\}"', toolchain)
    temporal, schema = services["temporal"], services["temporal-schema"]
    assert temporal["image"].startswith("temporalio/server:") and _version(temporal["image"]) == built
    assert schema["image"].startswith("temporalio/admin-tools:") and _version(schema["image"]) == built
    assert temporal["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert schema["depends_on"]["postgres"]["condition"] == "service_healthy"

    server, job, pg = _env(temporal), _env(schema), _env(services["postgres"])
    assert server["DB"] == job["SQL_PLUGIN"] == "postgres12"
    assert job["SQL_HOST"] == server["POSTGRES_SEEDS"] == "postgres"
    assert job["SQL_USER"] == pg["POSTGRES_USER"] and job["SQL_PASSWORD"] == pg["POSTGRES_PASSWORD"]
    script = "\n".join(schema["command"]).replace("$$", "$")
    for database, schema_name in (
        (server["DBNAME"], "temporal"),
        (server["VISIBILITY_DBNAME"], "visibility"),
    ):
        assert f"--db {database} update-schema --schema-name postgresql/v12/{schema_name}" in script
    assert "create-database" in script and "setup-schema -v 0.0" in script


def test_the_namespace_job_registers_exactly_the_projects_search_attributes(services: dict[str, Any]) -> None:
    from workflows.search_attributes import DEFINITIONS

    job = services["temporal-namespace"]
    assert job["image"] == services["temporal-schema"]["image"]
    script = "\n".join(job["command"])
    [listed] = re.findall(r"for attribute in ([^;]+);", script)
    registered = dict(pair.split("=") for pair in listed.split())
    assert registered == DEFINITIONS
    assert "namespace create" in script


def test_two_api_instances_and_two_workers_as_in_make_run_production(services: dict[str, Any]) -> None:
    from infra.prodstack import STOP_ORDER

    for name in ("api", "worker"):
        replicas = services[name]["deploy"]["replicas"]
        local = [child for child in STOP_ORDER if child.startswith(f"{name}-")]
        assert replicas == len(local) == 2, (name, replicas, local)


def test_the_api_needs_a_jwt_secret_and_never_falls_back_to_the_development_one(
    services: dict[str, Any],
) -> None:
    raw = _env(_load()["services"]["api"])["JWT_SECRET"]
    # Required (":?": unset or empty stops compose), with a message, and no default to fall back on.
    match = _VAR.fullmatch(raw)
    assert match and match["name"] == "JWT_SECRET" and match["op"] == ":?" and match["arg"].strip(), raw
    others = {k: v for k, v in REQUIRED_ENV.items() if k != "JWT_SECRET"}
    with pytest.raises(MissingVariable, match="JWT_SECRET"):
        _interpolate(_load()["services"], others)
    with pytest.raises(MissingVariable, match="JWT_SECRET"):
        _interpolate(_load()["services"], {**others, "JWT_SECRET": ""})

    secret = _env(services["api"])["JWT_SECRET"]
    development_default = Settings.model_fields["jwt_secret"].default
    assert secret == JWT_PLACEHOLDER != development_default
    assert Settings(jwt_secret=secret).jwt_secret == secret  # the API reads it from JWT_SECRET
    assert development_default not in COMPOSE.read_text(encoding="utf-8")
    # Only the API signs and checks tokens; the other services have no business holding the key.
    for name in ("worker", "migrate"):
        assert "JWT_SECRET" not in _env(services[name]), name


def test_the_worker_reads_the_policy_file_mounted_from_the_repository(services: dict[str, Any]) -> None:
    # The image copies the code only, not config/: the policies reach the worker as a read-only mount.
    policy_file = PurePosixPath(_env(services["worker"])["POLICY_FILE"])
    mounts = [str(v).split(":") for v in services["worker"].get("volumes", [])]
    [(source, target, mode)] = [
        (REPO / m[0], PurePosixPath(m[1]), m[2:]) for m in mounts if policy_file.is_relative_to(m[1])
    ]
    assert mode == ["ro"]
    mounted = source / policy_file.relative_to(target)
    assert mounted.resolve() == (REPO / "config" / "policies.toml").resolve()
    load_policy_book(mounted)  # what the worker will load is a valid policy configuration


def test_worker_needs_real_department_endpoints_and_keys(services: dict[str, Any]) -> None:
    raw = _load()["services"]["worker"]["environment"]
    for name in ("DEPARTMENT_BASE_URL", "DEPARTMENT_API_KEYS"):
        assert f"${{{name}:?" in str(raw[name]), f"{name} must be required in production"
    env = _env(services["worker"])
    settings_from(env)
    assert env["DEPARTMENT_API_KEYS"] == DEPARTMENT_KEYS_PLACEHOLDER


def test_payload_keys_are_required_for_every_service_that_talks_to_temporal() -> None:
    anchor = _load()["x-app-env"]
    for name in ("PAYLOAD_KEYS", "PAYLOAD_ACTIVE_KEY"):
        assert f"${{{name}:?" in str(anchor[name]), f"{name} must be required in production"


def test_personal_data_keys_are_required_and_never_the_development_ones(services: dict[str, Any]) -> None:
    anchor = _load()["x-app-env"]
    for name in ("PII_KEYS", "PII_ACTIVE_KEY", "PII_HASH_KEY"):
        assert f"${{{name}:?" in str(anchor[name]), f"{name} must be required in production"
    development = settings_from({})
    # API, worker and the migration (which seals existing rows) read the same keys.
    for name in ("api", "worker", "migrate"):
        settings = settings_from(_env(services[name]))
        assert settings.pii_keys == json.loads(REQUIRED_ENV["PII_KEYS"]) != development.pii_keys
        assert settings.pii_active_key == "pii-2027"
        assert settings.pii_hash_key == REQUIRED_ENV["PII_HASH_KEY"] != development.pii_hash_key


def test_worker_needs_the_real_bank_and_payer_account(services: dict[str, Any]) -> None:
    raw = _load()["services"]["worker"]["environment"]
    for name in ("BANK_BASE_URL", "BANK_API_KEY", "BANK_PAYER_ACCOUNT"):
        assert f"${{{name}:?" in str(raw[name]), f"{name} must be required in production"
    settings = settings_from(_env(services["worker"]))
    assert settings.bank_base_url == REQUIRED_ENV["BANK_BASE_URL"]
    assert (
        settings.bank_api_key == REQUIRED_ENV["BANK_API_KEY"] != Settings.model_fields["bank_api_key"].default
    )
    assert settings.bank_payer_account == REQUIRED_ENV["BANK_PAYER_ACCOUNT"]
    assert settings.bank_batch_size == 5000


def test_the_api_and_the_worker_need_the_real_sms_provider(services: dict[str, Any]) -> None:
    """The worker sends the notices, the API the portal's sign-in and the objections' codes: both
    must name the provider and our key there, never fall back to the SMS simulator's."""
    for service in ("api", "worker"):
        raw = _load()["services"][service]["environment"]
        for name in ("SMS_BASE_URL", "SMS_API_KEY"):
            assert f"${{{name}:?" in str(raw[name]), f"{service}: {name} must be required in production"
        settings = settings_from(_env(services[service]))
        assert settings.sms_base_url == REQUIRED_ENV["SMS_BASE_URL"], service
        assert (
            settings.sms_api_key
            == REQUIRED_ENV["SMS_API_KEY"]
            != Settings.model_fields["sms_api_key"].default
        ), service
    others = {k: v for k, v in REQUIRED_ENV.items() if k != "SMS_API_KEY"}
    with pytest.raises(MissingVariable, match="SMS_API_KEY"):
        _interpolate({"api": _load()["services"]["api"]}, others)


def test_the_worker_polls_as_a_version_and_finishes_its_activities_before_the_kill(
    services: dict[str, Any],
) -> None:
    raw = _load()["services"]["worker"]
    assert "${WORKER_BUILD_ID:?" in str(raw["environment"]["WORKER_BUILD_ID"]), "a release names its build"
    settings = settings_from(_env(services["worker"]))
    assert (settings.worker_build_id, settings.worker_deployment_name) == (
        "2027.01.05-1",
        "social-assistance",
    )
    grace = int(str(raw["stop_grace_period"]).rstrip("s"))
    assert grace > settings.worker_graceful_shutdown_seconds


def test_the_temporal_ui_decrypts_through_the_api_with_the_operators_cookie(services: dict[str, Any]) -> None:
    ui = _env(services["temporal-ui"])
    endpoint = urlsplit(ui["TEMPORAL_CODEC_ENDPOINT"])
    api_port = _env(services["api"])["API_PORT"]
    assert endpoint.path == "/api/v1/codec" and str(endpoint.port) == api_port  # the API's codec route
    # The cookie goes cross-origin only with "include credentials"; the UI has no token to pass.
    assert (
        ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
        and ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "false"
    )
    # … and the API lets that UI in: its published address is among the API's allowed origins.
    settings = settings_from(_env(services["api"]))
    [ui_port] = [p.split(":")[0] for p in services["temporal-ui"]["ports"]]
    assert f"http://{endpoint.hostname}:{ui_port}" in settings.temporal_ui_origins
    assert "*" not in settings.temporal_ui_origins


def test_compose_runs_in_production_mode_with_no_development_secret(services: dict[str, Any]) -> None:
    """APP_ENV=production for every app service, so a development key stops the API and the worker
    (issue 16, item 6); the required variables pass that check, a development value does not."""
    assert _load()["x-app-env"]["APP_ENV"] == "production"
    for name, secrets in (("api", API_SECRETS), ("worker", WORKER_SECRETS)):
        settings = settings_from(_env(services[name]))
        assert settings.app_env == "production", name
        refuse_development_secrets(settings, secrets)  # the operator's own values: starts
    development = settings_from({})
    leaked = {**REQUIRED_ENV, "PII_HASH_KEY": development.pii_hash_key}
    worker = settings_from(_env(dict(_interpolate(_load()["services"], leaked))["worker"]))
    with pytest.raises(UnsafeProductionSettings, match="PII_HASH_KEY"):
        refuse_development_secrets(worker, WORKER_SECRETS)
    text = COMPOSE.read_text(encoding="utf-8")
    for value in (
        development.pii_hash_key,
        *development.pii_keys.values(),
        *development.payload_keys.values(),
    ):
        assert value not in text
