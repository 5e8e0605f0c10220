"""What `make run-production` generates for itself (infra/prodstack_config.py): secrets that the
production refusal accepts and that survive a restart, and server configurations on PostgreSQL and
loopback only. The running topology is tested in tests/e2e/test_prodstack.py."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from infra.prodstack_config import (
    VISIBILITY_DB,
    Ports,
    generate_secrets,
    load_or_create_secrets,
    temporal_server_config,
    ui_server_config,
)
from infra.settings import API_SECRETS, WORKER_SECRETS, Settings, refuse_development_secrets

JSON_VALUES = ("PAYLOAD_KEYS", "PII_KEYS", "DEPARTMENT_API_KEYS")


def _settings(values: dict[str, str]) -> Settings:
    typed = {k.lower(): json.loads(v) if k in JSON_VALUES else v for k, v in values.items()}
    return Settings(_env_file=None, app_env="production", **typed)  # type: ignore[call-arg]


def test_generated_secrets_pass_the_production_refusal_and_differ_per_installation() -> None:
    first, second = generate_secrets(), generate_secrets()
    for values in (first, second):
        settings = _settings(values)
        refuse_development_secrets(settings, API_SECRETS)
        refuse_development_secrets(settings, WORKER_SECRETS)
    assert all(first[name] != second[name] for name in ("JWT_SECRET", "PII_HASH_KEY", "BANK_API_KEY"))


def test_secrets_are_kept_private_and_reused_on_the_next_run(tmp_path: Path) -> None:
    created = load_or_create_secrets(tmp_path / "state")
    path = tmp_path / "state" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Sealed data and encrypted histories need the same keys after a restart.
    assert load_or_create_secrets(tmp_path / "state") == created


def test_the_server_runs_on_postgres_with_sql_visibility_on_loopback() -> None:
    ports = Ports.from_env()
    config = temporal_server_config(ports, Path("/tmp/dynamic.yaml"))
    stores = config["persistence"]["datastores"]
    assert {s["sql"]["pluginName"] for s in stores.values()} == {"postgres12"}
    visibility = stores[config["persistence"]["visibilityStore"]]["sql"]
    assert visibility["databaseName"] == VISIBILITY_DB
    assert {s["sql"]["connectAddr"] for s in stores.values()} == {f"127.0.0.1:{ports.postgres}"}
    services = config["services"]
    assert set(services) == {"frontend", "history", "matching", "worker"}  # one process, all services
    assert {s["rpc"]["bindOnIP"] for s in services.values()} == {"127.0.0.1"}
    used = [p for s in services.values() for k, p in s["rpc"].items() if k.endswith("Port")]
    assert len(used) == len(set(used)), used
    assert services["frontend"]["rpc"]["grpcPort"] == ports.temporal


def test_the_ui_decrypts_through_the_api_with_the_operators_cookie_and_no_open_cors() -> None:
    ports = Ports.from_env()
    ui = ui_server_config(ports, "default", "http://127.0.0.1:18000/api/v1/codec")
    assert ui["temporalGrpcAddress"] == f"127.0.0.1:{ports.temporal}" and ui["host"] == "127.0.0.1"
    assert ui["codec"] == {
        "endpoint": "http://127.0.0.1:18000/api/v1/codec",
        "passAccessToken": False,
        "includeCredentials": True,
    }
    assert ui["cors"]["unsafeAllowAllOrigins"] is False and "*" not in ui["cors"]["allowOrigins"]


def test_a_state_from_before_a_secret_existed_gets_it_added_and_keeps_the_others(tmp_path: Path) -> None:
    state = tmp_path / "state"
    created = load_or_create_secrets(state)
    older = {k: v for k, v in created.items() if k != "SMS_API_KEY"}
    (state / "secrets.json").write_text(json.dumps(older), encoding="utf-8")
    loaded = load_or_create_secrets(state)
    assert {k: loaded[k] for k in older} == older  # what sealed the data is kept
    assert loaded["SMS_API_KEY"] and loaded["SMS_API_KEY"] != Settings.model_fields["sms_api_key"].default
    assert load_or_create_secrets(state) == loaded  # and kept from then on
