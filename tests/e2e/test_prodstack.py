"""`make run-production`'s topology as an operator gets it (issue 12, items 1 and 2): the Temporal
server on PostgreSQL with SQL visibility, two workers, two API instances, a real process tree on
ports and files of its own, stopped by Ctrl-C.

Needs the production engine (scripts/toolchain.sh production): a missing binary fails the test with
the fix, never skips it. Timeouts are generous: the first start creates the cluster, the Temporal
schemas and the application's, on two shared cores."""

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
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from domain.application import workflow_id_for
from infra.db import make_engine, make_session_factory
from infra.models import Application
from infra.pii import make_pii_vault
from infra.seed import DEMO_PASSWORD
from infra.settings import Settings
from tests.conftest import REPO, TOOLS, temporal_cli, toolchain_path
from tests.e2e.support import DIBAO_MATERIALS
from tests.factories import application_payload

pytestmark = pytest.mark.production
UP = "production topology is up"


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports: all sockets stay bound until every port is drawn."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _free_run(length: int, taken: set[int]) -> int:
    """The first of `length` consecutive free ports (the server's four membership ports)."""
    for _ in range(200):
        base = random.randint(20000, 29000)
        run = range(base, base + length)
        if not taken.intersection(run) and all(_free(p) for p in run):
            return base
    raise AssertionError("no run of free ports found")


def _engine(var: str, name: str, what: str) -> str:
    # The production engine is not part of `scripts/toolchain.sh all`: name its own command.
    return toolchain_path(
        var,
        TOOLS / "bin" / name,
        f"{what} (built by `make test-production` / `scripts/toolchain.sh production`)",
    )


class ProdStack:
    def __init__(self, state: Path, pg_dir: Path) -> None:
        names = ("POSTGRES", "TEMPORAL", "TEMPORAL_HTTP", "HISTORY", "MATCHING", "SYSTEM_WORKER", "UI")
        names += ("DEPARTMENTS", "BANK")
        drawn = _free_ports(len(names) + 2)
        self.ports = dict(zip(names, drawn, strict=False))
        self.apis = (drawn[-2], drawn[-1])
        self.ports["MEMBERSHIP"] = _free_run(4, set(drawn))
        self.env = {
            **os.environ,
            "TEMPORAL_CLI_PATH": temporal_cli(),
            "TEMPORAL_SERVER_PATH": _engine("TEMPORAL_SERVER_PATH", "temporal-server", "Temporal server"),
            "TEMPORAL_SQL_TOOL_PATH": _engine(
                "TEMPORAL_SQL_TOOL_PATH", "temporal-sql-tool", "Temporal SQL tool"
            ),
            "TEMPORAL_UI_SERVER_PATH": _engine(
                "TEMPORAL_UI_SERVER_PATH", "temporal-ui-server", "Temporal UI server"
            ),
            "PROD_STATE_DIR": str(state),
            "PROD_PG_DIR": str(pg_dir),
            "PROD_API_PORTS": ",".join(map(str, self.apis)),
            "PROD_BUILD_ID": f"test-{uuid.uuid4().hex[:8]}",
            **{f"PROD_{name}_PORT": str(port) for name, port in self.ports.items()},
        }
        self.log = state.parent / "prodstack.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, within: float = 420.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "infra.prodstack"], cwd=REPO, env=self.env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + within
        while UP not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("production stack did not come up:\n" + self.tail())
            time.sleep(0.5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        return self.proc.wait(timeout=180)

    def api(self, index: int) -> str:
        return f"http://127.0.0.1:{self.apis[index]}"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ProdStack]:
    # PostgreSQL runs as the `postgres` user: its data directory cannot live under pytest's
    # root-only tmp_path, so it gets a directory of its own in /tmp.
    pg_dir = Path(tempfile.mkdtemp(prefix="sa-prodstack-pg-", dir="/tmp"))
    prod = ProdStack(tmp_path / "state", pg_dir)
    yield prod
    if prod.proc is not None and prod.proc.poll() is None:
        prod.proc.send_signal(signal.SIGINT)
        try:
            prod.proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            prod.proc.kill()
    subprocess.run(
        [str(REPO / "scripts" / "postgres.sh"), "stop", str(pg_dir)], check=False, capture_output=True
    )
    shutil.rmtree(pg_dir, ignore_errors=True)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _until(check: Any, within: float, what: str) -> Any:
    end = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not reached within {within:.0f} s")
        time.sleep(0.5)


async def _temporal_rows(port: int, workflow_id: str, id_number: str) -> tuple[int, int, int]:
    """(executions, history nodes, history nodes containing the ID number) of the workflow, read
    from the Temporal server's own PostgreSQL database."""
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="sa", database="temporal")
    try:
        executions = await conn.fetchval(
            "SELECT count(*) FROM executions WHERE workflow_id = $1", workflow_id
        )
        nodes = await conn.fetchval(
            "SELECT count(*) FROM history_node n JOIN executions e ON n.tree_id = e.run_id"
            " WHERE e.workflow_id = $1",
            workflow_id,
        )
        leaked = await conn.fetchval(
            "SELECT count(*) FROM history_node WHERE position($1::bytea in data) > 0", id_number.encode()
        )
    finally:
        await conn.close()
    return int(executions), int(nodes), int(leaked)


async def _store_pending_case(stack: ProdStack, number: str) -> None:
    """What an API process killed between its commit and the workflow start leaves behind: the
    case stored, pending, sealed with this installation's keys, and no workflow."""
    keys = json.loads((Path(stack.env["PROD_STATE_DIR"]) / "secrets.json").read_text())
    vault = make_pii_vault(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            pii_keys=json.loads(keys["PII_KEYS"]),
            pii_active_key=keys["PII_ACTIVE_KEY"],
            pii_hash_key=keys["PII_HASH_KEY"],
        )
    )
    payload = application_payload(number, materials=DIBAO_MATERIALS)
    clerk = {
        "username": "clerk_chigang",
        "display_name": "陈晓敏",
        "role": "intake_clerk",
        "region_code": "440105001",
    }
    row = Application(
        application_number=number,
        workflow_id=workflow_id_for(number),
        assistance_type="dibao",
        channel="walk_in",
        county_code="440105",
        township_code="440105001",
        community_code="440105001001",
        applicant_name=payload["applicant"]["name"],
        household_size=len(payload["members"]),
        green_channel=False,
        stage="intake",
        accepted_at=datetime.now(UTC) - timedelta(minutes=5),
        workflow_pending=True,
    )
    row.seal_personal_data(
        vault,
        id_number=payload["applicant"]["id_number"],
        phone=payload["applicant"]["phone"],
        submission={**payload, "submitted_by": clerk},
    )
    engine = make_engine(f"postgresql+asyncpg://sa@127.0.0.1:{stack.ports['POSTGRES']}/social_assistance")
    try:
        async with make_session_factory(engine).begin() as session:
            session.add(row)
    finally:
        await engine.dispose()


async def _build_of(address: str, workflow_id: str) -> str:
    client = await Client.connect(address)
    described = await client.get_workflow_handle(workflow_id).describe()
    build: str = described.raw_description.workflow_execution_info.versioning_info.deployment_version.build_id
    return build


async def _listed(address: str, query: str) -> list[str]:
    client = await Client.connect(address)
    return [wf.id async for wf in client.list_workflows(query)]


def test_production_topology_serves_a_case_through_both_apis_on_postgres_and_stops_on_ctrl_c(
    stack: ProdStack, application_number: str
) -> None:
    stack.start()
    token = httpx.post(
        stack.api(0) + "/api/v1/auth/token",
        data={"username": "clerk_chigang", "password": DEMO_PASSWORD},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    clerk = {"Authorization": f"Bearer {token.json()['access_token']}"}

    payload = application_payload(application_number, materials=DIBAO_MATERIALS)
    created = httpx.post(stack.api(0) + "/api/v1/applications", json=payload, headers=clerk, timeout=60)
    assert created.status_code == 201, created.text + stack.tail()
    workflow_id = created.json()["workflow_id"]

    # The other API instance (same token: the instances share the generated JWT secret) sees the
    # case, and the first tasks the workers opened.
    def first_tasks() -> list[str] | None:
        case = httpx.get(
            f"{stack.api(1)}/api/v1/applications/{application_number}", headers=clerk, timeout=30
        )
        assert case.status_code == 200, case.text
        tasks = [t["task_type"] for t in case.json()["open_tasks"]]
        return tasks or None

    assert _until(first_tasks, 120, "first tasks through API instance 2") == ["home_visit"]

    # The history lives in the Temporal server's PostgreSQL database, with no ID number in clear.
    port = stack.ports["POSTGRES"]
    executions, nodes, leaked = asyncio.run(
        _temporal_rows(port, workflow_id, payload["applicant"]["id_number"])
    )
    assert executions == 1 and nodes > 0 and leaked == 0
    # SQL visibility answers the operators' search-attribute filters.
    address = f"127.0.0.1:{stack.ports['TEMPORAL']}"
    query = f"WorkflowId = '{workflow_id}' AND CountyCode = '440105' AND GreenChannel = false"
    assert _until(lambda: asyncio.run(_listed(address, query)), 60, "visibility") == [workflow_id]
    # The workers poll as the stack's build, made current at start (worker versioning).
    assert asyncio.run(_build_of(address, workflow_id)) == stack.env["PROD_BUILD_ID"]

    # A case the intake stored but never started: a worker's start repair (every 30 s) starts it.
    orphan = application_number[:-4] + "FFFF"
    asyncio.run(_store_pending_case(stack, orphan))

    def repaired() -> list[str] | None:
        case = httpx.get(f"{stack.api(1)}/api/v1/applications/{orphan}", headers=clerk, timeout=30)
        assert case.status_code == 200, case.text
        return [t["task_type"] for t in case.json()["open_tasks"]] or None

    assert _until(repaired, 150, "the start repair in the worker processes") == ["home_visit"]

    # Ctrl-C stops every process, the database last.
    assert stack.stop() == 0, stack.tail()
    assert "已停止 / stopped." in stack.tail()
    for name in ("UI", "TEMPORAL", "DEPARTMENTS", "BANK", "POSTGRES"):
        assert not _port_open(stack.ports[name]), f"{name} port still open after Ctrl-C"
    for api_port in stack.apis:
        assert not _port_open(api_port), f"API port {api_port} still open after Ctrl-C"
    secrets = json.loads((Path(stack.env["PROD_STATE_DIR"]) / "secrets.json").read_text())
    assert (
        secrets["JWT_SECRET"]
        and oct((Path(stack.env["PROD_STATE_DIR"]) / "secrets.json").stat().st_mode)[-3:] == "600"
    )
