"""`make run-production`: the topology of docker-compose.yml on this machine, in one foreground
command that Ctrl-C stops cleanly.

- PostgreSQL (Debian's server, scripts/postgres.sh) with three databases: `temporal`,
  `temporal_visibility` (SQL visibility) and the application's;
- the Temporal server (all four services in one process) on it, its schemas set up and updated
  by the SQL tool, the namespace created and the project's search attributes registered;
- the Temporal Web UI server, decrypting through the API's codec endpoint;
- the application database migrated and the demo data seeded;
- the department, bank and SMS simulators, two worker processes and two API instances;
- everything with APP_ENV=production and secrets generated for this installation (kept in
  <state>/secrets.json), so no development key is ever in use.

Ports and paths: infra/prodstack_config.py (PROD_*_PORT, PROD_STATE_DIR, TEMPORAL_SERVER_PATH …).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys

import asyncpg
import httpx
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.service import RPCError, RPCStatusCode

from infra.db import make_engine, make_session_factory
from infra.devstack import (
    Stack,
    bank_sim_command,
    department_sim_command,
    port_free,
    sms_sim_command,
    wait_for_port,
)
from infra.logging_setup import configure_logging
from infra.migrate import upgrade_async
from infra.prodstack_config import (
    APP_DB,
    LOOPBACK,
    NAMESPACE_RETENTION,
    TEMPORAL_DB,
    TOOLCHAIN_FIX,
    VISIBILITY_DB,
    Layout,
    Ports,
    Tools,
    load_or_create_secrets,
    write_configs,
)
from infra.seed import seed_demo
from infra.settings import REPO_ROOT, Settings, load_settings
from infra.temporal_client import connect_client, ensure_search_attributes
from infra.worker_versions import make_current
from workflows.search_attributes import DEFINITIONS

log = logging.getLogger("prodstack")
# Stopped in this order: the edges first, the engine and its database last.
STOP_ORDER = (
    "api-1", "api-2", "worker-1", "worker-2", "temporal-ui", "departments", "bank", "sms", "temporal",
)  # fmt: skip


def start_postgres(layout: Layout, ports: Ports) -> None:
    """The cluster, with fsync on (this is the production topology), and the application's database."""
    env = {**os.environ, "SA_PG_DB": APP_DB, "SA_PG_FSYNC": "on"}
    script = str(REPO_ROOT / "scripts" / "postgres.sh")
    subprocess.run([script, "start", str(layout.pg_dir), str(ports.postgres)], env=env, check=True)


def stop_postgres(layout: Layout) -> None:
    subprocess.run([str(REPO_ROOT / "scripts" / "postgres.sh"), "stop", str(layout.pg_dir)], check=False)


async def _run(*cmd: str) -> None:
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out.decode(errors='replace')}")


async def setup_temporal_schemas(tools: Tools, ports: Ports) -> None:
    """create-database, setup-schema -v 0.0 (the version table) and update-schema to the newest
    version of the schemas embedded in the tool (--schema-name), for both databases. Safe to run
    on every start: existing databases are kept and update-schema applies only what is missing."""
    conn = await asyncpg.connect(host=LOOPBACK, port=ports.postgres, user="sa", database="postgres")
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()
    base = [str(tools.sql_tool), "--plugin", "postgres12", "--ep", LOOPBACK, "-p", str(ports.postgres)]
    base += ["-u", "sa", "--pw", ""]
    for database, schema in ((TEMPORAL_DB, "temporal"), (VISIBILITY_DB, "visibility")):
        tool = [*base, "--db", database]
        if database not in existing:
            await _run(*tool, "create-database")
            await _run(*tool, "setup-schema", "-v", "0.0")
        await _run(*tool, "update-schema", "--schema-name", f"postgresql/v12/{schema}")


async def create_namespace(tools: Tools, settings: Settings) -> None:
    """`temporal operator namespace create`, unless it exists (the server makes none by itself)."""
    address = ["--address", settings.temporal_address, "--namespace", settings.temporal_namespace]
    describe = await asyncio.create_subprocess_exec(
        str(tools.cli), "operator", "namespace", "describe", *address,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if await describe.wait() == 0:
        return
    await _run(
        str(tools.cli), "operator", "namespace", "create", *address, "--retention", NAMESPACE_RETENTION
    )


async def register_search_attributes(settings: Settings, within: float = 120.0) -> None:
    """Register the project's search attributes, then wait until the server accepts them in a
    query: the namespace and search-attribute caches of a production server refresh on a timer."""
    client = await connect_client(settings)
    namespace = settings.temporal_namespace
    async with asyncio.timeout(within):
        while True:
            try:
                added = await ensure_search_attributes(client, namespace)
                if added:
                    log.info("registered search attributes: %s", ", ".join(added))
                listed = await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace=namespace)
                )
                if set(DEFINITIONS) <= set(listed.custom_attributes):
                    await client.count_workflows(" AND ".join(f"{n} IS NULL" for n in DEFINITIONS))
                    return
            except RPCError as exc:
                # The new namespace not in the frontend's cache yet, or an attribute not yet usable.
                if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                    raise
                log.info("waiting for namespace %s and its search attributes: %s", namespace, exc.message)
            await asyncio.sleep(1.0)


def ports_in_use(ports: Ports) -> list[str]:
    """The configured ports something else already listens on (another run, another service): a
    child would fail to bind while we talked to the stranger on its port."""
    named = {
        "PROD_POSTGRES_PORT": ports.postgres,
        "PROD_TEMPORAL_PORT": ports.temporal,
        "PROD_TEMPORAL_HTTP_PORT": ports.temporal_http,
        "PROD_HISTORY_PORT": ports.history,
        "PROD_MATCHING_PORT": ports.matching,
        "PROD_SYSTEM_WORKER_PORT": ports.system_worker,
        **{f"PROD_MEMBERSHIP_PORT (+{i})": ports.membership + i for i in range(4)},
        "PROD_UI_PORT": ports.ui,
        "PROD_API_PORTS (1)": ports.apis[0],
        "PROD_API_PORTS (2)": ports.apis[1],
        "PROD_DEPARTMENTS_PORT": ports.departments,
        "PROD_BANK_PORT": ports.bank,
        "PROD_SMS_PORT": ports.sms,
    }
    return [f"{port} ({var})" for var, port in named.items() if not port_free(LOOPBACK, port)]


async def wait_for_child(stack: Stack, port: int, within: float) -> None:
    """The port open, or the reason the stack cannot come up (a child exited) at once."""
    async with asyncio.timeout(within):
        while True:
            problem = stack.failed()
            if problem:
                raise SystemExit(f"stack stopped while starting: {problem}")
            try:
                await wait_for_port(LOOPBACK, port, within=1.0)
                return
            except TimeoutError:
                continue


async def wait_for_api(stack: Stack, port: int, within: float) -> None:
    """The API instance answering its own health check. An open port is not enough: a stranger that
    took the port after ports_in_use() looked (another run's server, say) would pass for it while
    the instance itself failed to bind — the stack then fails here, naming the child that exited."""
    url = f"http://{LOOPBACK}:{port}/healthz"
    async with asyncio.timeout(within), httpx.AsyncClient(timeout=2.0) as http:
        while True:
            problem = stack.failed()
            if problem:
                raise SystemExit(f"stack stopped while starting: {problem}")
            try:
                answer = await http.get(url)
                if answer.status_code == 200 and answer.json() == {"status": "ok"}:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.5)


def stop_in_order(stack: Stack) -> None:
    procs = dict(stack.children)
    for name in STOP_ORDER:
        proc = procs.get(name)
        if proc is None or proc.poll() is not None:
            continue
        log.info("stopping %s", name)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", name)
            proc.kill()
            proc.wait()


async def run_production(stop: asyncio.Event) -> None:
    ports, tools, layout = Ports.from_env(), Tools.from_env(), Layout.from_env()
    missing = tools.missing()
    if missing:
        raise SystemExit(f"production engine not installed: {', '.join(missing)}. Fix: {TOOLCHAIN_FIX}.")
    # Our own PostgreSQL may still run from an interrupted run: start_postgres then reuses it.
    busy = [p for p in ports_in_use(ports) if not p.startswith(f"{ports.postgres} ")]
    if busy:
        raise SystemExit(f"ports in use: {', '.join(busy)}. Stop what uses them or choose other ports.")
    secrets = load_or_create_secrets(layout.state)
    settings = load_settings(
        app_env="production",
        database_url=f"postgresql+asyncpg://sa@{LOOPBACK}:{ports.postgres}/{APP_DB}",
        temporal_address=f"{LOOPBACK}:{ports.temporal}",
        temporal_ui_port=ports.ui,
        api_port=ports.apis[0],
        department_base_url=f"http://{LOOPBACK}:{ports.departments}",
        bank_base_url=f"http://{LOOPBACK}:{ports.bank}",
        sms_base_url=f"http://{LOOPBACK}:{ports.sms}",
        **{name.lower(): _typed(name, value) for name, value in secrets.items()},
    )
    codec = f"http://{LOOPBACK}:{ports.apis[0]}/api/v1/codec"
    write_configs(layout, ports, settings.temporal_namespace, codec)
    extra = {
        **secrets,
        "APP_ENV": "production",
        "DEPARTMENT_BASE_URL": settings.department_base_url,
        "BANK_BASE_URL": settings.bank_base_url,
        # Every child gets these: the API instances send the sign-in and objection codes through
        # the SMS simulator with the same generated SMS_API_KEY as the workers' notices.
        "SMS_BASE_URL": settings.sms_base_url,
        # The workers poll as a version of the Worker Deployment, made current once they poll: a
        # restart with new code is a new build (README, "Deploying a new version").
        "WORKER_BUILD_ID": build_id(),
    }
    stack = Stack(settings, extra_env=extra)
    start_postgres(layout, ports)
    try:
        await setup_temporal_schemas(tools, ports)
        root = ["--root", str(layout.state), "--env", "production"]
        stack.spawn(
            "temporal", [str(tools.server), *root, "--config", "temporal", "--allow-no-auth", "start"]
        )
        stack.spawn("departments", department_sim_command(settings, ports.departments))
        stack.spawn("bank", bank_sim_command(ports.bank))
        stack.spawn("sms", sms_sim_command(ports.sms))
        await wait_for_child(stack, ports.temporal, within=120)
        await create_namespace(tools, settings)
        await register_search_attributes(settings)
        stack.spawn("temporal-ui", [str(tools.ui_server), *root, "--config", "ui", "start"])
        await upgrade_async(settings.database_url)
        engine = make_engine(settings.database_url)
        await seed_demo(make_session_factory(engine))
        await engine.dispose()
        await wait_for_port(LOOPBACK, ports.departments)
        await wait_for_port(LOOPBACK, ports.bank)
        await wait_for_port(LOOPBACK, ports.sms)
        # One worker owns the Schedules; both poll the same queues (Temporal shares the work).
        stack.spawn("worker-1", [sys.executable, "-m", "workers.main"], {"MANAGE_SCHEDULES": "true"})
        stack.spawn("worker-2", [sys.executable, "-m", "workers.main"], {"MANAGE_SCHEDULES": "false"})
        await make_current(
            await connect_client(settings),
            settings.worker_deployment_name,
            extra["WORKER_BUILD_ID"],
            within=90,
        )
        for index, port in enumerate(ports.apis, start=1):
            stack.spawn(f"api-{index}", [sys.executable, "-m", "api.main"], {"API_PORT": str(port)})
        for port in ports.apis:
            await wait_for_api(stack, port, within=90)
        await wait_for_child(stack, ports.ui, within=90)
        await asyncio.sleep(1.0)
        if problem := stack.failed():  # a child that lost its port to a stranger exits right after
            raise SystemExit(f"stack stopped while starting: {problem}")
        print(banner(settings, ports, layout), flush=True)
        await stack.run_until(stop)
    finally:
        stop_in_order(stack)
        stop_postgres(layout)


def build_id() -> str:
    """PROD_BUILD_ID, else the checkout's commit (and `-dirty` with uncommitted changes): the code
    the workers run, so that a restart with other code is another version of the deployment."""
    if os.environ.get("PROD_BUILD_ID"):
        return os.environ["PROD_BUILD_ID"]
    git = ["git", "-C", str(REPO_ROOT)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "local"
    return f"{commit}-dirty" if dirty.strip() else commit


def _typed(name: str, value: str) -> object:
    return json.loads(value) if name in ("PAYLOAD_KEYS", "PII_KEYS", "DEPARTMENT_API_KEYS") else value


def banner(settings: Settings, ports: Ports, layout: Layout) -> str:
    api1, api2 = (f"http://{LOOPBACK}:{p}" for p in ports.apis)
    return (
        "\n社会救助审核审批系统（生产拓扑）已启动 / production topology is up:\n"
        f"  API 1 / API 2  {api1}  {api2}  (OpenAPI: /docs)\n"
        f"  Temporal UI    http://{LOOPBACK}:{ports.ui}  (解密显示: operators sign in at {api1}/ops/login)\n"
        f"  Temporal gRPC  {settings.temporal_address}  namespace={settings.temporal_namespace}  "
        f"(PostgreSQL: {TEMPORAL_DB}, {VISIBILITY_DB})\n"
        f"  PostgreSQL     {LOOPBACK}:{ports.postgres}  databases {TEMPORAL_DB}, {VISIBILITY_DB}, {APP_DB}"
        f"  (data: {layout.pg_dir})\n"
        "  Workers        2 processes (worker-1 owns the Schedules)\n"
        f"  Departments    http://{LOOPBACK}:{ports.departments}   Bank (代发) http://{LOOPBACK}:{ports.bank}   "
        f"SMS (短信) http://{LOOPBACK}:{ports.sms}/admin/messages\n"
        f"  Secrets        {layout.state / 'secrets.json'} (generated on the first run, APP_ENV=production)\n"
        "Ctrl-C 停止 / stops everything.\n"
    )


def main() -> None:
    configure_logging()  # with personal data redacted from every record

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_production(stop)

    asyncio.run(_main())
    print("已停止 / stopped.", flush=True)


if __name__ == "__main__":
    main()
