"""`make run`: the embedded stack — Temporal dev server (SQLite file + Web UI), database migrations
and demo data, the worker and the API — in one foreground command that Ctrl-C stops cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from infra.db import make_engine, make_session_factory, sqlite_file
from infra.migrate import upgrade_async
from infra.seed import seed_demo
from infra.settings import Settings, load_settings
from workflows.search_attributes import DEFINITIONS

log = logging.getLogger("devstack")


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
    ]
    for name, kind in DEFINITIONS.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd


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


@dataclass
class Stack:
    settings: Settings
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def spawn(self, name: str, cmd: list[str]) -> None:
        env = {**os.environ, **_settings_env(self.settings)}
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


def _settings_env(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "API_HOST": settings.api_host,
        "API_PORT": str(settings.api_port),
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
    stack = Stack(settings)
    try:
        stack.spawn("temporal", temporal_server_command(settings))
        host, _, port = settings.temporal_address.rpartition(":")
        await wait_for_port(host, int(port))
        await wait_for_port(host, settings.temporal_ui_port)
        await upgrade_async(settings.database_url)
        engine = make_engine(settings.database_url)
        await seed_demo(make_session_factory(engine))
        await engine.dispose()
        stack.spawn("worker", [sys.executable, "-m", "workers.main"])
        stack.spawn("api", [sys.executable, "-m", "api.main"])
        await wait_for_port(settings.api_host, settings.api_port)
        print(
            "\n社会救助审核审批系统已启动 / stack is up:\n"
            f"  API            http://{settings.api_host}:{settings.api_port}  (OpenAPI: /docs)\n"
            f"  Temporal UI    http://{host}:{settings.temporal_ui_port}\n"
            f"  Temporal gRPC  {settings.temporal_address}  namespace={settings.temporal_namespace}\n"
            f"  Database       {settings.database_url}\n"
            "Ctrl-C 停止 / stops everything.\n",
            flush=True,
        )
        while not stop.is_set():
            problem = stack.failed()
            if problem:
                raise SystemExit(f"stack stopped: {problem}")
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pass
    finally:
        stack.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
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
