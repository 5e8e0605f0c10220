"""The production topology of `make run-production` (infra/prodstack.py), brought up piece by piece
so that a drill can kill and restart each piece: PostgreSQL (one cluster, as in docker-compose.yml:
Temporal's two databases and the application's), the Temporal server on it, the two simulators,
two worker processes and two API instances, all with APP_ENV=production and secrets of their own.

Every drill gets ports drawn free and a state directory of its own under /tmp, so it never collides
with `make run-production`, a test run or another drill. The children's output goes to
<state>/logs/<name>.log (printed on failure), not to the terminal.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from infra.db import make_engine, make_session_factory
from infra.devstack import _settings_env, bank_sim_command, department_sim_command, wait_for_port
from infra.migrate import upgrade_async
from infra.prodstack import (
    create_namespace,
    register_search_attributes,
    setup_temporal_schemas,
)
from infra.prodstack_config import (
    APP_DB,
    LOOPBACK,
    TOOLCHAIN_FIX,
    Layout,
    Ports,
    Tools,
    load_or_create_secrets,
    write_configs,
)
from infra.seed import seed_demo
from infra.settings import REPO_ROOT, Settings, load_settings
from infra.temporal_client import connect_client
from infra.worker_versions import make_current

WORKERS = ("worker-1", "worker-2")
APIS = ("api-1", "api-2")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_ports() -> Ports:
    """Ports nobody listens on: nine single ports, two for the APIs, and a run of four for the
    server's membership (ringpop) ports."""
    sockets = [socket.socket() for _ in range(11)]
    try:
        for s in sockets:
            s.bind((LOOPBACK, 0))
        drawn = [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()
    for _ in range(200):
        base = random.randint(20000, 29000)
        if not set(drawn).intersection(range(base, base + 4)) and all(_free(base + i) for i in range(4)):
            break
    else:  # pragma: no cover - a machine with no four free consecutive ports
        raise SystemExit("no run of four free ports found for the Temporal membership ports")
    return Ports(
        postgres=drawn[0], temporal=drawn[1], temporal_http=drawn[2], history=drawn[3],
        matching=drawn[4], system_worker=drawn[5], membership=base, ui=drawn[6],
        apis=(drawn[7], drawn[8]), departments=drawn[9], bank=drawn[10],
    )  # fmt: skip


@dataclass
class DrillStack:
    ports: Ports
    layout: Layout
    tools: Tools
    settings: Settings
    env: dict[str, str]  # what every child gets on top of os.environ
    secrets: dict[str, str]
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: dict[str, IO[bytes]] = field(default_factory=dict)
    _commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)

    # ---- processes ---------------------------------------------------------------------------
    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
        self._commands[name] = (cmd, env or {})
        log_dir = self.layout.state / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        out = self._logs.get(name) or (log_dir / f"{name}.log").open("ab")
        self._logs[name] = out
        self.children[name] = subprocess.Popen(
            cmd, env={**os.environ, **self.env, **(env or {})}, stdout=out, stderr=out,
            start_new_session=True,
        )  # fmt: skip

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown handler runs, in-flight work is simply gone (a power cut, the OOM killer)."""
        proc = self.children[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart(self, name: str) -> None:
        """The same command again (what a supervisor — systemd, compose's restart policy — does)."""
        cmd, env = self._commands[name]
        self.spawn(name, cmd, env)

    def died(self) -> list[str]:
        """The children that exited without being killed by a drill."""
        return [f"{n} exited ({p.returncode})" for n, p in self.children.items() if p.poll() is not None]

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.layout.state / "logs" / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        for name in (*APIS, *WORKERS, "departments", "bank", "temporal"):
            proc = self.children.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for out in self._logs.values():
            out.close()

    # ---- pieces --------------------------------------------------------------------------------
    def api(self, index: int) -> str:
        return f"http://{LOOPBACK}:{self.ports.apis[index]}"

    @property
    def bank_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.bank}"

    def spawn_temporal(self) -> None:
        root = ["--root", str(self.layout.state), "--env", "production"]
        self.spawn(
            "temporal", [str(self.tools.server), *root, "--config", "temporal", "--allow-no-auth", "start"]
        )

    def spawn_worker(self, name: str) -> None:
        # One worker owns the Schedules, as in infra/prodstack.py.
        manage = "true" if name == WORKERS[0] else "false"
        self.spawn(name, [sys.executable, "-m", "workers.main"], {"MANAGE_SCHEDULES": manage})

    async def wait_temporal(self, within: float = 180.0) -> None:
        await wait_for_port(LOOPBACK, self.ports.temporal, within=within)

    def _pg_ctl(self, *args: str) -> None:
        binary = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
        # The server's output goes to its log file (-l): a pipe to us would stay open for its life.
        cmd = [
            str(binary),
            "-D",
            str(self.layout.pg_dir),
            "-l",
            str(self.layout.pg_dir / "server.log"),
            *args,
        ]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def stop_postgres(self, mode: str = "immediate") -> None:
        """`pg_ctl stop`: with mode "immediate" the server stops without a checkpoint, as a crash
        does (it recovers from its WAL on the next start). Every connection is cut."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def start_postgres(self) -> None:
        """The cluster again, with the options scripts/postgres.sh starts it with."""
        options = f"-p {self.ports.postgres} -k /tmp -c listen_addresses={LOOPBACK} -c fsync=on"
        self._pg_ctl("-w", "-o", options, "start")


def _state_dirs() -> tuple[Path, Path]:
    # PostgreSQL runs as `postgres` when we are root: its directory must be reachable by it.
    state = Path(tempfile.mkdtemp(prefix="sa-drill-", dir="/tmp"))
    os.chmod(state, 0o755)
    return state, state / "postgres"


def _start_postgres(layout: Layout, ports: Ports) -> None:
    """As infra/prodstack.start_postgres (fsync on, the application's database), its chatter kept
    in the drill's log unless it fails."""
    env = {**os.environ, "SA_PG_DB": APP_DB, "SA_PG_FSYNC": "on"}
    script = [str(REPO_ROOT / "scripts" / "postgres.sh"), "start", str(layout.pg_dir), str(ports.postgres)]
    done = subprocess.run(script, env=env, capture_output=True, text=True)
    (layout.state / "postgres-start.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"PostgreSQL did not start:\n{done.stderr}")


def _stop_postgres(layout: Layout) -> None:
    script = [str(REPO_ROOT / "scripts" / "postgres.sh"), "stop", str(layout.pg_dir)]
    subprocess.run(script, capture_output=True, check=False)


def _typed(name: str, value: str) -> object:
    return json.loads(value) if name in ("PAYLOAD_KEYS", "PII_KEYS", "DEPARTMENT_API_KEYS") else value


@asynccontextmanager
async def drill_stack(
    extra_env: dict[str, str] | None = None, keep: bool = False
) -> AsyncIterator[DrillStack]:
    """Everything up (as infra/prodstack.run_production starts it), torn down on the way out.
    `extra_env`: settings for every child (START_REPAIR_INTERVAL_SECONDS …)."""
    tools = Tools.from_env()
    missing = tools.missing()
    if missing:
        raise SystemExit(f"production engine not installed: {', '.join(missing)}. Fix: {TOOLCHAIN_FIX}.")
    state, pg_dir = _state_dirs()
    ports, layout = free_ports(), Layout(state=state, pg_dir=pg_dir)
    secrets = load_or_create_secrets(layout.state)
    settings = load_settings(
        app_env="production",
        database_url=f"postgresql+asyncpg://sa@{LOOPBACK}:{ports.postgres}/{APP_DB}",
        temporal_address=f"{LOOPBACK}:{ports.temporal}",
        temporal_ui_port=ports.ui,
        api_port=ports.apis[0],
        department_base_url=f"http://{LOOPBACK}:{ports.departments}",
        bank_base_url=f"http://{LOOPBACK}:{ports.bank}",
        **{name.lower(): _typed(name, value) for name, value in secrets.items()},
    )
    build = f"drill-{uuid.uuid4().hex[:8]}"
    env = {
        **_settings_env(settings),
        **secrets,
        "APP_ENV": "production",
        "DEPARTMENT_BASE_URL": settings.department_base_url,
        "BANK_BASE_URL": settings.bank_base_url,
        "WORKER_BUILD_ID": build,
        "PYTHONPATH": str(REPO_ROOT),
        **(extra_env or {}),
    }
    stack = DrillStack(ports, layout, tools, settings, env, secrets)
    write_configs(layout, ports, settings.temporal_namespace, f"{stack.api(0)}/api/v1/codec")
    await asyncio.to_thread(_start_postgres, layout, ports)
    try:
        await setup_temporal_schemas(tools, ports)
        stack.spawn_temporal()
        stack.spawn("departments", department_sim_command(settings, ports.departments))
        stack.spawn("bank", bank_sim_command(ports.bank))
        await stack.wait_temporal()
        await create_namespace(tools, settings)
        await register_search_attributes(settings)
        await upgrade_async(settings.database_url)
        engine = make_engine(settings.database_url)
        await seed_demo(make_session_factory(engine))
        await engine.dispose()
        await wait_for_port(LOOPBACK, ports.departments)
        await wait_for_port(LOOPBACK, ports.bank)
        for name in WORKERS:
            stack.spawn_worker(name)
        await make_current(await connect_client(settings), settings.worker_deployment_name, build, within=120)
        for index, port in enumerate(ports.apis):
            stack.spawn(APIS[index], [sys.executable, "-m", "api.main"], {"API_PORT": str(port)})
        for port in ports.apis:
            await wait_for_port(LOOPBACK, port, within=120)
        yield stack
    finally:
        stack.stop()
        await asyncio.to_thread(_stop_postgres, layout)
        if keep or os.environ.get("DRILL_KEEP"):
            print(f"state and logs kept in {state}", flush=True)
        else:
            shutil.rmtree(state, ignore_errors=True)
