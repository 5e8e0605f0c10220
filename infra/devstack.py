"""`make run`: the embedded stack — Temporal dev server (SQLite file + Web UI), database migrations
and demo data, the department, bank and SMS simulators, the worker and the API — in one foreground
command that Ctrl-C stops cleanly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field

from infra.db import make_engine, make_session_factory, sqlite_file
from infra.logging_setup import configure_logging
from infra.migrate import upgrade_async
from infra.seed import seed_demo
from infra.settings import Settings, load_settings
from infra.temporal_tuning import dev_server_args
from workflows.search_attributes import DEFINITIONS

log = logging.getLogger("devstack")
# The simulator's admin API has no authentication: it listens on the loopback interface only.
SIM_HOST = "127.0.0.1"


def temporal_server_command(settings: Settings) -> list[str]:
    host, _, port = settings.temporal_address.rpartition(":")
    cmd = [
        str(settings.temporal_cli_path),
        "server",
        "start-dev",
        "--ip",
        host or "127.0.0.1",
        "--port",
        port,
        "--ui-port",
        str(settings.temporal_ui_port),
        "--namespace",
        settings.temporal_namespace,
        "--db-filename",
        str(settings.temporal_db_file),
        # WAL keeps the single SQLite connection from stalling under concurrent workflows.
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
        # The Web UI decrypts payloads through the API's codec endpoint (operators only: see /ops/login).
        "--ui-codec-endpoint",
        ui_codec_endpoint(settings),
        *dev_server_args(),
    ]
    for name, kind in DEFINITIONS.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd


def ui_codec_endpoint(settings: Settings) -> str:
    # The browser calls it, so it names the address the API is reached at, not a wildcard bind.
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::", "") else settings.api_host
    return f"http://{host}:{settings.api_port}/api/v1/codec"


async def wait_for_port(host: str, port: int, within: float = 60.0) -> None:
    try:
        async with asyncio.timeout(within):
            while True:
                try:
                    _, writer = await asyncio.open_connection(host, port)
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
                writer.close()
                await writer.wait_closed()
                return
    except TimeoutError:
        raise TimeoutError(f"{host}:{port} did not open within {within:.0f}s") from None


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on the port now. SO_REUSEADDR as the servers themselves
    (uvicorn, the Temporal server) bind: a port whose last connections are in TIME_WAIT — for a
    minute after the stack stopped — is free to them, while a listening socket still makes bind fail."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _sim_port(settings: Settings, field: str, what: str) -> int:
    """A simulator's port: the configured one, or — when it is taken and was not set explicitly
    (another `make run`, a test's stack) — any free one, which its clients are then pointed at."""
    port: int = getattr(settings, field)
    if port_free(SIM_HOST, port):
        return port
    if field in settings.model_fields_set:
        raise SystemExit(f"{field.upper()} {port} is in use: free it or choose another port.")
    with socket.socket() as s:
        s.bind((SIM_HOST, 0))
        free = int(s.getsockname()[1])
    log.warning("port %d is in use: the %s simulator takes %d instead", port, what, free)
    return free


def department_sim_port(settings: Settings) -> int:
    return _sim_port(settings, "department_sim_port", "department")


def department_sim_command(settings: Settings, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulators.departments",
        "--host",
        SIM_HOST,
        "--port",
        str(port),
        "--households",
        str(settings.department_sim_households),
        "--seed",
        str(settings.department_sim_seed),
    ]


def bank_sim_port(settings: Settings) -> int:
    return _sim_port(settings, "bank_sim_port", "bank")


def bank_sim_command(port: int) -> list[str]:
    return [sys.executable, "-m", "simulators.bank", "--host", SIM_HOST, "--port", str(port)]


def sms_sim_port(settings: Settings) -> int:
    return _sim_port(settings, "sms_sim_port", "SMS")


def sms_sim_command(port: int) -> list[str]:
    return [sys.executable, "-m", "simulators.sms", "--host", SIM_HOST, "--port", str(port)]


def sms_env(settings: Settings, sim_url: str) -> dict[str, str]:
    """The notices and sign-in codes go to the SMS simulator, unless SMS_BASE_URL names a provider."""
    if "sms_base_url" in settings.model_fields_set:
        return {}
    return {"SMS_BASE_URL": sim_url}


def bank_env(settings: Settings, sim_url: str) -> dict[str, str]:
    """The payroll uses the bank simulator, unless BANK_BASE_URL points it at a real bank."""
    if "bank_base_url" in settings.model_fields_set:
        return {}
    return {"BANK_BASE_URL": sim_url}


def department_env(settings: Settings, sim_url: str) -> dict[str, str]:
    """The adapters use the simulator, unless DEPARTMENT_BASE_URL points them at real services."""
    if "department_base_url" in settings.model_fields_set:
        return {}
    return {"DEPARTMENT_BASE_URL": sim_url}


@dataclass
class Stack:
    settings: Settings
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
        """`env`: this child's own variables on top (one of two API instances' port, say)."""
        env = {**os.environ, **_settings_env(self.settings), **self.extra_env, **(env or {})}
        # Own process group: the terminal's Ctrl-C reaches only us, and we stop children in order.
        self.children.append((name, subprocess.Popen(cmd, env=env, start_new_session=True)))

    def stop(self) -> None:
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                log.info("stopping %s", name)
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", name)
                proc.kill()
                proc.wait()

    def failed(self) -> str | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
        return None

    async def run_until(self, stop: asyncio.Event) -> None:
        """Until Ctrl-C (`stop`), or a child dies: a stack without one of its parts is stopped."""
        while not stop.is_set():
            problem = self.failed()
            if problem:
                raise SystemExit(f"stack stopped: {problem}")
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pass


def _settings_env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "API_HOST": settings.api_host,
        "API_PORT": str(settings.api_port),
        # The simulator reads the same keys as the adapters, so both ends agree.
        "DEPARTMENT_API_KEYS": json.dumps(settings.department_api_keys),
        "DEPARTMENT_API_KEY_HEADER": settings.department_api_key_header,
        # … and the bank simulator the same key and payer account as the payroll's gateway.
        "BANK_API_KEY": settings.bank_api_key,
        "BANK_PAYER_ACCOUNT": settings.bank_payer_account,
        # … and the SMS simulator the key the notices' gateway sends.
        "SMS_API_KEY": settings.sms_api_key,
        # The UI's address(es), derived from TEMPORAL_UI_PORT unless set: the API opens CORS to them.
        "TEMPORAL_UI_ORIGINS": json.dumps(settings.temporal_ui_origins),
    }


async def run_stack(settings: Settings, stop: asyncio.Event) -> None:
    if not settings.temporal_cli_path.exists():
        raise SystemExit(
            f"Temporal CLI not found at {settings.temporal_cli_path}. Run scripts/toolchain.sh "
            "(make run does this) or set TEMPORAL_CLI_PATH."
        )
    settings.temporal_db_file.parent.mkdir(parents=True, exist_ok=True)
    db_file = sqlite_file(settings.database_url)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    sim_port = department_sim_port(settings)
    sim_url = f"http://{SIM_HOST}:{sim_port}"
    bank_port = bank_sim_port(settings)
    bank_url = f"http://{SIM_HOST}:{bank_port}"
    sms_port = sms_sim_port(settings)
    sms_url = f"http://{SIM_HOST}:{sms_port}"
    stack = Stack(
        settings,
        extra_env={
            **department_env(settings, sim_url),
            **bank_env(settings, bank_url),
            **sms_env(settings, sms_url),
        },
    )
    try:
        stack.spawn("temporal", temporal_server_command(settings))
        # Starts beside the Temporal server; the worker needs it only once a case reaches the check.
        stack.spawn("departments", department_sim_command(settings, sim_port))
        stack.spawn("bank", bank_sim_command(bank_port))
        stack.spawn("sms", sms_sim_command(sms_port))
        host, _, port = settings.temporal_address.rpartition(":")
        await wait_for_port(host, int(port))
        await wait_for_port(host, settings.temporal_ui_port)
        await upgrade_async(settings.database_url)
        engine = make_engine(settings.database_url)
        await seed_demo(make_session_factory(engine))
        await engine.dispose()
        await wait_for_port(SIM_HOST, sim_port)
        await wait_for_port(SIM_HOST, bank_port)
        await wait_for_port(SIM_HOST, sms_port)
        stack.spawn("worker", [sys.executable, "-m", "workers.main"])
        stack.spawn("api", [sys.executable, "-m", "api.main"])
        await wait_for_port(settings.api_host, settings.api_port)
        print(
            "\n社会救助审核审批系统已启动 / stack is up:\n"
            f"  工作台 (staff pages)  http://{settings.api_host}:{settings.api_port}/staff/  "
            "(演示账号 / demo accounts: clerk_chigang, inv_chigang_1, reviewer_chigang, approver_haizhu, "
            "finance_haizhu … 密码 demo-2026)\n"
            f"  掌上办 (applicant portal)  http://{settings.api_host}:{settings.api_port}/portal/  "
            "(手机号 + 短信验证码登录；验证码见下方短信模拟 / sign-in code: see SMS below)\n"
            f"  API            http://{settings.api_host}:{settings.api_port}  (OpenAPI: /docs)\n"
            f"  Temporal UI    http://{host}:{settings.temporal_ui_port}  "
            f"(解密显示 / decrypted view: operators sign in at http://{settings.api_host}:{settings.api_port}/ops/login)\n"
            f"  Temporal gRPC  {settings.temporal_address}  namespace={settings.temporal_namespace}\n"
            f"  Database       {settings.database_url}\n"
            f"  Departments    {sim_url}  (部门数据模拟; admin: /admin/households, /admin/faults; /docs)\n"
            f"  Bank (代发)    {bank_url}  (银行代发模拟; admin: /admin/accounts, /admin/ledger/summary, /admin/faults; /docs)\n"
            f"  SMS (短信)     {sms_url}  (短信平台模拟; 已发短信与验证码 / messages and sign-in codes: "
            f"{sms_url}/admin/messages?phone=<手机号>; /admin/faults; /docs)\n"
            "Ctrl-C 停止 / stops everything.\n",
            flush=True,
        )
        await stack.run_until(stop)
    finally:
        stack.stop()


def main() -> None:
    configure_logging()  # with personal data redacted from every record
    settings = load_settings()

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_stack(settings, stop)

    asyncio.run(_main())
    print("已停止 / stopped.", flush=True)


if __name__ == "__main__":
    main()
