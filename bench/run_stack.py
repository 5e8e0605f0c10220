"""`make run`'s stack (infra/devstack.py), started as a newcomer starts it — the dev server, the
simulators, the worker and the API each in its own process — but on ports drawn free and with its
state (the Temporal and application SQLite files) in a temporary directory, so a benchmark never
meets `make run`, a test run or another benchmark. The benchmark itself is one more process: it talks
HTTP to the API, gRPC to the server, and reads the application database for what it waits for."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from infra.db import make_engine, make_session_factory
from infra.devstack import wait_for_port
from infra.pii import PiiVault, make_pii_vault
from infra.settings import Settings, load_settings
from infra.temporal_client import connect_client

LOOPBACK = "127.0.0.1"
PORT_FIELDS = ("temporal", "temporal_ui", "api", "department_sim", "bank_sim", "sms_sim")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind((LOOPBACK, 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def stack_env(workdir: Path, worker_env: dict[str, str] | None = None) -> dict[str, str]:
    ports = dict(zip(PORT_FIELDS, free_ports(len(PORT_FIELDS)), strict=True))
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'app.db'}",
        "TEMPORAL_DB_FILE": str(workdir / "temporal.db"),
        "TEMPORAL_ADDRESS": f"{LOOPBACK}:{ports['temporal']}",
        "TEMPORAL_UI_PORT": str(ports["temporal_ui"]),
        "API_HOST": LOOPBACK,
        "API_PORT": str(ports["api"]),
        "DEPARTMENT_SIM_PORT": str(ports["department_sim"]),
        "BANK_SIM_PORT": str(ports["bank_sim"]),
        "SMS_SIM_PORT": str(ports["sms_sim"]),
        # The worker's Schedules (payroll, quarterly re-check) are not what is measured here.
        "MANAGE_SCHEDULES": "false",
        **(worker_env or {}),
    }


@dataclass
class RunStack:
    settings: Settings  # as the children read theirs (the same variables)
    api_url: str
    client: Client
    sessions: async_sessionmaker[AsyncSession]
    vault: PiiVault
    process: subprocess.Popen[bytes]
    log_path: Path

    def child_pids(self, module: str) -> list[int]:
        """The pids of the stack's children running `python -m <module>` (the worker's RSS)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == self.process.pid and module.encode() in cmdline:
                found.append(int(entry.name))
        return found


def _status_mib(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS:")


def peak_rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmHWM:")


def _spawn(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "infra.devstack"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@asynccontextmanager
async def run_stack(workdir: Path, worker_env: dict[str, str] | None = None) -> AsyncIterator[RunStack]:
    """`python -m infra.devstack` (what `make run` starts) until the API answers; stopped with
    SIGTERM (its Ctrl-C) on the way out. `worker_env`: variables for the stack's processes on top
    (a worker setting tried as a lever)."""
    env = stack_env(workdir, worker_env)
    settings = load_settings(**{k.lower(): v for k, v in env.items() if k != "MANAGE_SCHEDULES"})
    log_path = workdir / "stack.log"
    process = _spawn(env, log_path)
    engine = make_engine(settings.database_url)
    try:
        try:
            await wait_for_port(LOOPBACK, settings.api_port, within=120)
        except TimeoutError:
            raise SystemExit(f"the stack did not come up:\n{log_path.read_text()[-4000:]}") from None
        client = await connect_client(settings)
        try:
            yield RunStack(
            settings, f"http://{LOOPBACK}:{settings.api_port}", client, make_session_factory(engine),
                make_pii_vault(settings), process, log_path,
            )  # fmt: skip
        except BaseException:
            # What the stack's processes said before the benchmark failed (the directory goes).
            kept = Path(tempfile.gettempdir()) / "bench-stack-last.log"
            shutil.copyfile(log_path, kept)
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:] + f"\n(the whole log: {kept})\n")
            raise
    finally:
        await engine.dispose()
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
