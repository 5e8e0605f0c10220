"""What `make run-production` (infra/prodstack.py) runs with: its ports, its tools, the secrets it
generates for itself, and the configuration files it writes for the Temporal server and Web UI.

Every value can be overridden by an environment variable (PROD_*, TEMPORAL_SERVER_PATH, …), so a
test can run a second topology beside the first on ports of its own.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from domain.departments import Department
from infra.settings import REPO_ROOT
from infra.temporal_tuning import server_file_content

TOOLS_DIR = Path(os.environ.get("SA_TOOLS_DIR") or REPO_ROOT / ".tools")
TOOLCHAIN_FIX = "run `scripts/toolchain.sh production` (make run-production does this)"
LOOPBACK = "127.0.0.1"
TEMPORAL_DB, VISIBILITY_DB, APP_DB = "temporal", "temporal_visibility", "social_assistance"
# Closed cases stay readable in the Temporal UI this long; open cases are never removed.
NAMESPACE_RETENTION = "720h"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"PROD_{name}_PORT") or default)


@dataclass(frozen=True)
class Ports:
    """Loopback ports, beside (not on) those of `make run` (7233, 8233, 8000, 8100, 8200)."""

    postgres: int
    temporal: int  # frontend gRPC: what clients, workers and the UI server dial
    temporal_http: int
    history: int
    matching: int
    system_worker: int  # the server's internal worker service
    membership: int  # first of four consecutive ringpop ports (one per service)
    ui: int
    apis: tuple[int, int]
    departments: int
    bank: int
    sms: int = 18300

    @classmethod
    def from_env(cls) -> Ports:
        apis = os.environ.get("PROD_API_PORTS") or "18000,18001"
        first, second = (int(p) for p in apis.split(","))
        return cls(
            postgres=_port("POSTGRES", 55432),
            temporal=_port("TEMPORAL", 17233),
            temporal_http=_port("TEMPORAL_HTTP", 17243),
            history=_port("HISTORY", 17234),
            matching=_port("MATCHING", 17235),
            system_worker=_port("SYSTEM_WORKER", 17239),
            membership=_port("MEMBERSHIP", 16933),
            ui=_port("UI", 18233),
            apis=(first, second),
            departments=_port("DEPARTMENTS", 18100),
            bank=_port("BANK", 18200),
            sms=_port("SMS", 18300),
        )


@dataclass(frozen=True)
class Tools:
    server: Path
    sql_tool: Path
    ui_server: Path
    cli: Path

    @classmethod
    def from_env(cls) -> Tools:
        def path(var: str, name: str) -> Path:
            return Path(os.environ.get(var) or TOOLS_DIR / "bin" / name)

        return cls(
            server=path("TEMPORAL_SERVER_PATH", "temporal-server"),
            sql_tool=path("TEMPORAL_SQL_TOOL_PATH", "temporal-sql-tool"),
            ui_server=path("TEMPORAL_UI_SERVER_PATH", "temporal-ui-server"),
            cli=path("TEMPORAL_CLI_PATH", "temporal"),
        )

    def missing(self) -> list[str]:
        named = {
            "TEMPORAL_SERVER_PATH": self.server,
            "TEMPORAL_SQL_TOOL_PATH": self.sql_tool,
            "TEMPORAL_UI_SERVER_PATH": self.ui_server,
            "TEMPORAL_CLI_PATH": self.cli,
        }
        return [f"{path} ({var})" for var, path in named.items() if not os.access(path, os.X_OK)]


@dataclass(frozen=True)
class Layout:
    """Where the topology keeps its state: PROD_STATE_DIR (default var/prod), with the PostgreSQL
    cluster in PROD_PG_DIR (default <state>/postgres; its parents must be reachable by the
    `postgres` user when running as root)."""

    state: Path
    pg_dir: Path

    @classmethod
    def from_env(cls) -> Layout:
        state = Path(os.environ.get("PROD_STATE_DIR") or REPO_ROOT / "var" / "prod")
        return cls(state=state, pg_dir=Path(os.environ.get("PROD_PG_DIR") or state / "postgres"))


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def generate_secrets() -> dict[str, str]:
    """Fresh random values for every secret APP_ENV=production refuses in its development form.
    The simulators get the same department and bank keys, so both ends of each call agree."""
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return {
        "JWT_SECRET": secrets.token_hex(32),
        "PAYLOAD_KEYS": json.dumps({f"prod-{stamp}": _key()}),
        "PAYLOAD_ACTIVE_KEY": f"prod-{stamp}",
        "PII_KEYS": json.dumps({f"pii-{stamp}": _key()}),
        "PII_ACTIVE_KEY": f"pii-{stamp}",
        "PII_HASH_KEY": _key(),
        "DEPARTMENT_API_KEYS": json.dumps({d.value: secrets.token_urlsafe(24) for d in Department}),
        "BANK_API_KEY": secrets.token_urlsafe(24),
        "SMS_API_KEY": secrets.token_urlsafe(24),
    }


def load_or_create_secrets(state: Path) -> dict[str, str]:
    """The run's secrets, generated on the first run and kept (mode 0600) in the state directory:
    the data sealed and the histories encrypted with them must stay readable on the next run."""
    path = state / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        missing = {k: v for k, v in generate_secrets().items() if k not in stored}
        if missing:
            # A state from before a secret existed (SMS_API_KEY): the new one is added, the others
            # kept (data sealed with them must stay readable).
            stored.update(missing)
            path.write_text(json.dumps(stored, indent=2), encoding="utf-8")
        return stored
    state.mkdir(parents=True, exist_ok=True)
    values = generate_secrets()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(values, out, indent=2)
    return values


def _sql_store(database: str, ports: Ports, max_conns: int) -> dict[str, Any]:
    return {
        "sql": {
            "pluginName": "postgres12",
            "databaseName": database,
            "connectAddr": f"{LOOPBACK}:{ports.postgres}",
            "connectProtocol": "tcp",
            "user": "sa",
            "password": "",
            "maxConns": max_conns,
            "maxIdleConns": max_conns,
            "maxConnLifetime": "1h",
        }
    }


def temporal_server_config(ports: Ports, dynamic_config: Path) -> dict[str, Any]:
    """One server process with all four services, on PostgreSQL (history and SQL visibility)."""

    def rpc(grpc: int, membership: int, **extra: int) -> dict[str, Any]:
        return {"rpc": {"grpcPort": grpc, "membershipPort": membership, "bindOnIP": LOOPBACK, **extra}}

    return {
        "log": {"stdout": True, "level": "warn"},
        "persistence": {
            "defaultStore": "postgres-default",
            "visibilityStore": "postgres-visibility",
            "numHistoryShards": 4,
            "datastores": {
                "postgres-default": _sql_store(TEMPORAL_DB, ports, 20),
                "postgres-visibility": _sql_store(VISIBILITY_DB, ports, 4),
            },
        },
        "global": {"membership": {"maxJoinDuration": "30s", "broadcastAddress": LOOPBACK}},
        "services": {
            "frontend": rpc(ports.temporal, ports.membership, httpPort=ports.temporal_http),
            "history": rpc(ports.history, ports.membership + 1),
            "matching": rpc(ports.matching, ports.membership + 2),
            "worker": rpc(ports.system_worker, ports.membership + 3),
        },
        "clusterMetadata": {
            "enableGlobalNamespace": False,
            "failoverVersionIncrement": 10,
            "masterClusterName": "active",
            "currentClusterName": "active",
            "clusterInformation": {
                "active": {
                    "enabled": True,
                    "initialFailoverVersion": 1,
                    "rpcName": "frontend",
                    "rpcAddress": f"{LOOPBACK}:{ports.temporal}",
                }
            },
        },
        "dcRedirectionPolicy": {"policy": "noop"},
        "dynamicConfigClient": {"filepath": str(dynamic_config), "pollInterval": "10s"},
    }


# The server's defaults, except: a workflow id holds an application number (short anyway).


def ui_server_config(ports: Ports, namespace: str, codec_endpoint: str) -> dict[str, Any]:
    """The Web UI on loopback; payloads decrypted by the API's codec endpoint with the operator's
    cookie (as in docker-compose.yml: TEMPORAL_CODEC_INCLUDE_CREDENTIALS)."""
    return {
        "temporalGrpcAddress": f"{LOOPBACK}:{ports.temporal}",
        "host": LOOPBACK,
        "port": ports.ui,
        "enableUi": True,
        "defaultNamespace": namespace,
        "refreshInterval": "1m",
        "cors": {"allowOrigins": [], "unsafeAllowAllOrigins": False, "cookieInsecure": True},
        "notifyOnNewVersion": False,
        "codec": {"endpoint": codec_endpoint, "passAccessToken": False, "includeCredentials": True},
    }


def write_configs(layout: Layout, ports: Ports, namespace: str, codec_endpoint: str) -> None:
    """<state>/temporal/production.yaml (+ dynamic config) and <state>/ui/production.yaml: the
    servers are started with `--root <state> --config <dir> --env production`."""
    for folder in ("temporal", "ui"):
        (layout.state / folder).mkdir(parents=True, exist_ok=True)
    dynamic = layout.state / "temporal" / "dynamicconfig.yaml"
    dynamic.write_text(yaml.safe_dump(server_file_content()), encoding="utf-8")
    (layout.state / "temporal" / "production.yaml").write_text(
        yaml.safe_dump(temporal_server_config(ports, dynamic), sort_keys=False), encoding="utf-8"
    )
    (layout.state / "ui" / "production.yaml").write_text(
        yaml.safe_dump(ui_server_config(ports, namespace, codec_endpoint), sort_keys=False),
        encoding="utf-8",
    )
